import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { type Config, DocksideError, loadConfig, loadPolicy, partitionOf } from '../../core/mod.ts';
import { computeIncidents, incidentOptions, replayLines } from '../../exceptions/mod.ts';
import { comparePolicyFiles, describeReport } from './replay-compare.ts';

const rfc3339 = z.iso.datetime({ offset: true });

function untilArg(v: string): number {
  if (!rfc3339.safeParse(v).success) {
    throw new InvalidArgumentError(
      `--until: got ${JSON.stringify(v)}, expected an RFC 3339 time with an offset`,
    );
  }
  return Date.parse(v);
}

/** Sorted by occurredAt (stable): for exports grouped by order rather than written in time order. */
function sortedLines(file: string): string[] {
  const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  const keyed = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => ({ line, i, t: occurredAtOf(line) }));
  keyed.sort((a, b) => a.t - b.t || a.i - b.i);
  return keyed.map((k) => k.line);
}

function occurredAtOf(line: string): number {
  const m = /"occurredAt"\s*:\s*"([^"]+)"/.exec(line);
  const t = m?.[1] ? Date.parse(m[1]) : Number.NaN;
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
}

async function compare(
  file: string,
  policyB: string,
  opts: { policy?: string; until?: number; sort?: boolean; json?: boolean; customers?: string },
  config: Config,
): Promise<void> {
  const policyA = opts.policy ?? config.policyFile;
  if (!policyA) {
    process.stderr.write('replay --compare: name the first policy with --policy (or POLICY_FILE)\n');
    process.exitCode = 2;
    return;
  }
  const lines = opts.sort
    ? sortedLines(file)
    : (file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8'))
        .split('\n')
        .filter((l) => l.trim() !== '');
  try {
    const report = await comparePolicyFiles({
      policyA,
      policyB,
      lines,
      config,
      ...(opts.customers ? { customers: opts.customers } : {}),
      ...(opts.until !== undefined ? { until: opts.until } : {}),
    });
    for (const d of report.differences) process.stdout.write(`${JSON.stringify(d)}\n`);
    const { differences: _d, ...summary } = report;
    process.stderr.write(opts.json ? `${JSON.stringify(summary)}\n` : `${describeReport(report)}\n`);
    process.exitCode = 0;
  } catch (err) {
    if (!(err instanceof DocksideError)) throw err;
    process.stderr.write(`replay --compare: ${err.message}\n`);
    process.exitCode = 2;
  }
}

/**
 * `dockside replay FILE.ndjson`: the live detector's code, offline. Prints the final state of every
 * exception as NDJSON on stdout (or every state change with --changes), problems as JSON lines and a
 * summary on stderr. Exit 0, or 2 when a line could not be used.
 */
export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'run the exception detector offline over canonical NDJSON events (same rules, partitions and watermarks as the live pipeline) and print the exceptions as NDJSON',
    )
    .argument('<file>', 'canonical events, one JSON object per line (- for stdin)')
    .option(
      '--policy <file>',
      'write-back policy with the thresholds (default: POLICY_FILE, else built-in defaults)',
    )
    .option('--until <time>', 'final watermark (RFC 3339); events that occurred later are skipped', untilArg)
    .option('--sort', 'sort the events by occurredAt before replaying (exports not written in time order)')
    .option('--changes', 'print every exception state change as it happens, not only the final states')
    .option(
      '--incidents',
      'print the incidents (NDJSON, as GET /api/incidents lists them) grouped from the final exception states, instead of the exceptions',
    )
    .option(
      '--compare <file>',
      'a second policy: decide every exception state under --policy and under this one, print the states whose write-back outcome differs (NDJSON) and counts',
    )
    .option(
      '--customers <file>',
      'with --compare: the customer directory (NDJSON or CSV), so residency is compared too',
    )
    .option('--json', 'print the summary on stderr as one JSON line')
    .action(
      async (
        file: string,
        opts: {
          policy?: string;
          until?: number;
          sort?: boolean;
          changes?: boolean;
          incidents?: boolean;
          json?: boolean;
          compare?: string;
          customers?: string;
        },
      ) => {
        const config = loadConfig(process.env);
        if (opts.compare) {
          await compare(file, opts.compare, opts, config);
          return;
        }
        const policy = loadPolicy(opts.policy ?? config.policyFile);
        const write = (obj: unknown) => process.stdout.write(`${JSON.stringify(obj)}\n`);
        const lines = opts.sort
          ? sortedLines(file)
          : createInterface({
              input: file === '-' ? process.stdin : createReadStream(file),
              crlfDelay: Infinity,
            });
        const { exceptions, summary } = await replayLines(lines, {
          policy,
          partitions: config.partitions,
          partitionOf,
          allowedLatenessMs: config.allowedLatenessMs,
          retentionMs: config.stateRetentionMs,
          feeds: config.feeds,
          ...(opts.until !== undefined ? { untilMs: opts.until } : {}),
          ...(opts.changes ? { onEmit: write } : {}),
        });
        if (opts.incidents) {
          // The same grouping as the live view, over the final set (its window ends at the latest exception).
          for (const incident of computeIncidents(exceptions, incidentOptions(policy)).incidents)
            write(incident);
        } else if (!opts.changes) for (const ex of exceptions) write(ex);
        for (const p of summary.problems) process.stderr.write(`${JSON.stringify(p)}\n`);
        if (opts.json) process.stderr.write(`${JSON.stringify(summary)}\n`);
        else {
          const types = Object.entries(summary.byType)
            .sort()
            .map(([t, n]) => `${t}=${n}`)
            .join(' ');
          const findings = Object.entries(summary.findings)
            .sort()
            .map(([c, n]) => `${c}=${n}`)
            .join(' ');
          process.stderr.write(
            `replay: ${summary.events} events (${summary.late} late, ${summary.skippedAfterUntil} after --until, ${summary.problems.length} unusable), watermark ${summary.watermark ?? '-'}, ${summary.exceptions} exceptions: ${types}; data-quality findings: ${findings || 'none'}\n`,
          );
          for (const f of summary.feeds) process.stderr.write(`replay: ${f.text}\n`);
        }
        process.exitCode = summary.problems.length > 0 ? 2 : 0;
      },
    );
}
