import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { DEFAULT_MAX_JSON_DEPTH } from '../core/mod.ts';
import { convertEpcis } from './epcis/convert.ts';
import { convertColumnsCsv } from './files/columns.ts';
import type { Zone } from './files/local-time.ts';
import type { Mapping } from './files/mapping.ts';
import { readNdjsonBatches } from './files/ndjson.ts';
import { convertOlist } from './files/olist.ts';
import { type Converted, reject } from './files/record.ts';
import { detectFormat, type Format, type FormatChoice, SNIFF_BYTES } from './formats.ts';
import { convertX12Batches } from './x12/convert.ts';

export type { Accepted, Converted, Rejected } from './files/record.ts';

export interface ConvertOptions {
  readonly format: FormatChoice;
  /** Required for CSV: the column mapping (or the built-in olist profile). */
  readonly mapping?: Mapping;
  /** Zone of X12 LT / absent time codes. */
  readonly localZone: Zone;
  readonly maxLineBytes?: number;
  readonly maxJsonDepth?: number;
  readonly maxDocumentBytes?: number;
  readonly maxSegmentBytes?: number;
  /** Called with the size of every chunk read, for progress bars. */
  readonly onBytes?: (n: number) => void;
}

export const DEFAULT_LIMITS = {
  maxLineBytes: 1_048_576,
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  maxDocumentBytes: 64 * 1_048_576,
  maxSegmentBytes: 65_536,
} as const;

/**
 * Files → canonical events and rejections, in file order, streamed. No broker, no config: the CLI's
 * `convert` prints these and `import` publishes them. A file that cannot be opened or whose format
 * cannot be told is itself one rejection, so every file given is accounted for.
 */
export async function* convertFiles(
  files: readonly string[],
  options: ConvertOptions,
): AsyncGenerator<Converted> {
  for (const file of files) yield* convertFile(file, options);
}

export async function* convertFile(file: string, options: ConvertOptions): AsyncGenerator<Converted> {
  for await (const batch of convertFileBatches(file, options)) yield* batch;
}

/**
 * The same records in batches (NDJSON: the lines of one read chunk; X12: the statuses of the sets in
 * one chunk), for `import`, which publishes a batch without awaiting between events. Still streamed:
 * a batch never holds more than one chunk's records.
 */
export async function* convertFilesBatched(
  files: readonly string[],
  options: ConvertOptions,
): AsyncGenerator<readonly Converted[]> {
  for (const file of files) yield* convertFileBatches(file, options);
}

async function* convertFileBatches(
  file: string,
  options: ConvertOptions,
): AsyncGenerator<readonly Converted[]> {
  const whole = { file, position: 'file', raw: file };
  let head: Buffer;
  try {
    head = await readHead(file);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unknown error';
    // Only what is true here: whether the directory holds files is the command line's business
    // (expandInputs passes on only directories that hold none).
    const reason =
      code === 'EISDIR'
        ? `file: ${file} is a directory, expected a file`
        : `file: cannot read ${file} (${code})`;
    yield [reject(whole, 'FILE_UNREADABLE', reason)];
    return;
  }
  const format: Format | undefined = options.format === 'auto' ? detectFormat(file, head) : options.format;
  if (!format) {
    yield [
      reject(
        { ...whole, raw: head.subarray(0, 200).toString('latin1') },
        'FORMAT_UNKNOWN',
        `format: cannot tell the format of ${file} from its content or extension, expected ndjson, csv, x12 or epcis (pass --format)`,
      ),
    ];
    return;
  }
  const onBytes = options.onBytes ? { onBytes: options.onBytes } : {};
  const source = createReadStream(file, { highWaterMark: 65_536 });
  try {
    switch (format) {
      case 'ndjson':
        yield* readNdjsonBatches(file, source, {
          maxLineBytes: options.maxLineBytes ?? DEFAULT_LIMITS.maxLineBytes,
          maxJsonDepth: options.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth,
          ...onBytes,
        });
        return;
      case 'x12':
        yield* convertX12Batches(file, source, {
          localZone: options.localZone,
          maxSegmentBytes: options.maxSegmentBytes ?? DEFAULT_LIMITS.maxSegmentBytes,
          ...onBytes,
        });
        return;
      case 'epcis':
        yield* singles(
          convertEpcis(file, source, {
            maxDocumentBytes: options.maxDocumentBytes ?? DEFAULT_LIMITS.maxDocumentBytes,
            maxJsonDepth: options.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth,
            ...onBytes,
          }),
        );
        return;
      case 'csv': {
        const mapping = options.mapping;
        if (!mapping) {
          yield [
            reject(
              whole,
              'CSV_NO_MAPPING',
              `mapping: ${file} is CSV, expected --mapping FILE saying which columns hold which fields (docs/ingest.md)`,
            ),
          ];
          return;
        }
        const limits = { maxRecordBytes: options.maxLineBytes ?? DEFAULT_LIMITS.maxLineBytes, ...onBytes };
        yield* singles(
          mapping.profile === 'olist'
            ? convertOlist(file, source, mapping, limits)
            : convertColumnsCsv(file, source, mapping, limits),
        );
        return;
      }
    }
  } finally {
    source.destroy();
  }
}

/** Formats without a batching reader yet (CSV, EPCIS): batches of one. */
async function* singles(records: AsyncIterable<Converted>): AsyncGenerator<readonly Converted[]> {
  for await (const r of records) yield [r];
}

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
