import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { z } from 'zod';
import {
  connectNats,
  createLogger,
  ensureStreams,
  fieldIssues,
  formatIssues,
  loadConfig,
  publisherFor,
  streamNames,
} from '../core/mod.ts';
import { type ConvertOptions, convertFiles, convertFilesBatched, DEFAULT_LIMITS } from './convert.ts';
import { expandInputs, InputsError } from './files/inputs.ts';
import { parseZone, ZoneError } from './files/local-time.ts';
import { loadMapping, MappingError } from './files/mapping.ts';
import type { Rejected } from './files/record.ts';
import { formatChoices } from './formats.ts';
import { type ImportSummary, importConverted } from './importer.ts';
import { ProgressBar } from './progress.ts';
import { EventPublisher } from './publisher.ts';

/**
 * `dockside convert` and `dockside import`. Both read FILE... (NDJSON, CSV + mapping, X12, EPCIS; a
 * directory stands for the files under it); convert prints canonical events as NDJSON on stdout,
 * import publishes them to JetStream. Each rejection is one JSON line `{file, position, reason, code}`
 * on stderr (import also dead-letters it). Exit 0 when every record converted, 2 when any was rejected
 * or the arguments are unusable.
 */
const optionsSchema = z.object({
  format: z.enum(formatChoices),
  mapping: z.string().min(1).optional(),
  localZone: z.string().min(1),
  maxLineBytes: z.coerce.number().int().min(64).max(1_073_741_824),
  maxJsonDepth: z.coerce.number().int().min(2).max(10_000),
  maxDocumentBytes: z.coerce.number().int().min(64).max(4_294_967_296),
  json: z.boolean().optional(),
});
type CliOptions = z.output<typeof optionsSchema>;

class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

function withFileOptions(cmd: Command): Command {
  return cmd
    .argument(
      '<files...>',
      'files or directories (read recursively) to read; the format is detected per file unless --format says it',
    )
    .addOption(new Option('--format <format>', 'input format').choices(formatChoices).default('auto'))
    .option(
      '--mapping <file>',
      'CSV column mapping (YAML, see docs/ingest.md; mappings/olist.yaml for Olist)',
    )
    .option('--local-zone <zone>', 'zone of X12 times marked LT or unmarked (±HH:MM or IANA name)', 'UTC')
    .option(
      '--max-line-bytes <n>',
      'longest NDJSON line / CSV record accepted',
      String(DEFAULT_LIMITS.maxLineBytes),
    )
    .option('--max-json-depth <n>', 'deepest JSON nesting accepted', String(DEFAULT_LIMITS.maxJsonDepth))
    .option(
      '--max-document-bytes <n>',
      'largest EPCIS document accepted',
      String(DEFAULT_LIMITS.maxDocumentBytes),
    );
}

export function convertCommand(): Command {
  return withFileOptions(
    new Command('convert').description(
      'convert NDJSON, CSV (with --mapping), X12 214/856/945 and EPCIS 2.0 files to canonical events (NDJSON on stdout, rejections on stderr)',
    ),
  ).action(async (args: string[], raw: unknown) => {
    await runCli('convert', async () => {
      const options = await convertOptions(parseOptions(raw));
      const files = await expandInputs(args);
      let rejected = 0;
      for await (const r of convertFiles(files, options)) {
        if (r.ok) await writeLine(process.stdout, JSON.stringify(r.event));
        else {
          rejected++;
          await writeLine(process.stderr, rejectionLine(r));
        }
      }
      return rejected > 0 ? 2 : 0;
    });
  });
}

export function importCommand(): Command {
  return withFileOptions(
    new Command('import').description(
      'import files into the JetStream events stream (rejections go to the dead-letter stream); re-importing a file publishes nothing new',
    ),
  )
    .option('--json', 'print the summary as JSON')
    .action(async (args: string[], raw: unknown) => {
      await runCli('import', async () => {
        const cli = parseOptions(raw);
        const options = await convertOptions(cli);
        const files = await expandInputs(args);
        // The composition edge: the only place ingest reads the environment.
        const config = loadConfig(process.env);
        const names = streamNames(config.prefix);
        const nc = await connectNats(config, createLogger({ logLevel: 'warn' }));
        try {
          await ensureStreams(nc, names, config);
          const publisher = new EventPublisher(publisherFor(nc), names, config);
          const bar = process.stderr.isTTY
            ? new ProgressBar(process.stderr, await totalBytes(files))
            : undefined;
          const summary = await importConverted(
            convertFilesBatched(files, bar ? { ...options, onBytes: (n) => bar.addBytes(n) } : options),
            publisher,
            {
              onRejected: async (r) => {
                bar?.clear();
                await writeLine(process.stderr, rejectionLine(r));
              },
              onProgress: (s) => bar?.update(s),
            },
          );
          bar?.update(summary, true);
          bar?.clear();
          await writeLine(
            process.stdout,
            summaryText(summary, cli, names.eventsStream, names.deadLetterStream, files),
          );
          return summary.rejected > 0 ? 2 : 0;
        } finally {
          await nc.drain();
        }
      });
    });
}

function parseOptions(raw: unknown): CliOptions {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(formatIssues(fieldIssues(parsed.error, raw)), { cause: parsed.error });
  return parsed.data;
}

async function convertOptions(cli: CliOptions): Promise<ConvertOptions> {
  let localZone: ConvertOptions['localZone'];
  try {
    localZone = parseZone(cli.localZone);
  } catch (cause) {
    if (cause instanceof ZoneError) throw new UsageError(`--local-zone: ${cause.message}`, { cause });
    throw cause;
  }
  return {
    format: cli.format,
    localZone,
    maxLineBytes: cli.maxLineBytes,
    maxJsonDepth: cli.maxJsonDepth,
    maxDocumentBytes: cli.maxDocumentBytes,
    ...(cli.mapping ? { mapping: await loadMapping(cli.mapping) } : {}),
  };
}

/** Runs an action; bad arguments or a bad mapping file are usage errors (message, exit 2), not crashes. */
async function runCli(name: string, action: () => Promise<number>): Promise<void> {
  // `dockside convert … | head`: the reader went away; stop quietly as Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  try {
    process.exitCode = await action();
  } catch (err) {
    if (err instanceof UsageError || err instanceof MappingError || err instanceof InputsError) {
      await writeLine(process.stderr, `dockside ${name}: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

function rejectionLine(r: Rejected): string {
  return JSON.stringify({ file: r.file, position: r.position, reason: r.reason, code: r.code });
}

function summaryText(
  s: ImportSummary,
  cli: CliOptions,
  eventsStream: string,
  deadLetterStream: string,
  files: readonly string[],
): string {
  if (cli.json) return JSON.stringify({ files, ...s, eventsStream, deadLetterStream });
  const types = Object.entries(s.byType)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  return [
    `imported ${files.length} file(s) into ${eventsStream}: accepted ${s.accepted}, duplicate ${s.duplicate}, rejected ${s.rejected}`,
    ...(types ? [`  accepted by type: ${types}`] : []),
    ...(s.rejected > 0 ? [`  rejections are in ${deadLetterStream} (dockside dead-letters)`] : []),
  ].join('\n');
}

async function totalBytes(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const f of files)
    total += await stat(f).then(
      (s) => s.size,
      () => 0,
    );
  return total;
}

/** Writes one line, waiting for the stream to drain when its buffer is full (large conversions, slow pipes). */
async function writeLine(stream: NodeJS.WritableStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, 'drain');
}
