import { parseJsonGuarded, RejectError } from '../../core/mod.ts';
import { ByteReader, type ByteRecord, type TextRecord } from './byte-reader.ts';
import { type Converted, reject, rejectionFrom, validate } from './record.ts';
import { decodeUtf8, startsWithBom } from './utf8.ts';

export interface NdjsonOptions {
  /** Longest accepted line in bytes (default 1 MiB); longer lines are counted, skipped and rejected. */
  readonly maxLineBytes: number;
  readonly maxJsonDepth: number;
  readonly onBytes?: (n: number) => void;
}

const NEWLINE = 0x0a;
/** Most records in one batch: bounds memory when a chunk holds thousands of tiny lines. */
export const MAX_BATCH = 1_024;

/**
 * NDJSON of canonical events (the universal import format, GUIDE §3), one line at a time: memory is
 * bounded by the line cap whatever the file size. Blank lines are separators, not records.
 */
export async function* readNdjson(
  file: string,
  source: AsyncIterable<Buffer | string>,
  options: NdjsonOptions,
): AsyncGenerator<Converted> {
  for await (const batch of readNdjsonBatches(file, source, options)) yield* batch;
}

/**
 * The same records in batches: every line already read into memory is converted in one synchronous
 * run (at most MAX_BATCH), so a consumer pays the async hand-off per chunk rather than per line.
 */
export async function* readNdjsonBatches(
  file: string,
  source: AsyncIterable<Buffer | string>,
  options: NdjsonOptions,
): AsyncGenerator<Converted[]> {
  const reader = new ByteReader(source, options.onBytes);
  let first = true;
  for (;;) {
    const batch: Converted[] = [];
    let record: ByteRecord | TextRecord | undefined = await reader.readRecord(NEWLINE, options.maxLineBytes);
    if (!record) return;
    while (record) {
      const converted = convertLine(file, record, first, options);
      first = false;
      if (converted) batch.push(converted);
      record = batch.length < MAX_BATCH ? reader.readBuffered(NEWLINE, options.maxLineBytes) : undefined;
    }
    if (batch.length > 0) yield batch;
  }
}

function convertLine(
  file: string,
  record: ByteRecord | TextRecord,
  first: boolean,
  options: NdjsonOptions,
): Converted | undefined {
  const position = `line ${record.line}`;
  // An all-ASCII buffer hands over text (no BOM, nothing to decode); anything else comes as bytes.
  const text = 'text' in record ? record.text : decodeLine(file, position, record, first, options);
  if (typeof text !== 'string') return text;
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (line.trim() === '') return undefined;
  const origin = { file, position, raw: line };
  let value: unknown;
  try {
    value = parseJsonGuarded(line, options.maxJsonDepth, position);
  } catch (err) {
    return rejectionFrom(err, origin);
  }
  return validate(value, origin);
}

function decodeLine(
  file: string,
  position: string,
  record: ByteRecord,
  first: boolean,
  options: NdjsonOptions,
): string | Converted {
  let bytes = record.bytes;
  if (first && startsWithBom(bytes)) bytes = bytes.subarray(3);
  if (record.oversizeBytes !== undefined) {
    return reject(
      { file, position, raw: bytes.toString('latin1') },
      'LINE_TOO_LONG',
      `line ${record.line}: ${record.oversizeBytes} bytes, expected at most ${options.maxLineBytes} bytes per line`,
    );
  }
  const text = decodeUtf8(bytes, position);
  if (text instanceof RejectError) {
    return reject({ file, position, raw: bytes.toString('latin1') }, text.code, text.message);
  }
  return text;
}
