import { RejectError } from '../../core/mod.ts';
import { ByteReader } from './byte-reader.ts';
import { parseJsonGuarded } from './json-guard.ts';
import { type Converted, reject, rejectionFrom, validate } from './record.ts';
import { decodeUtf8 } from './utf8.ts';

export interface NdjsonOptions {
  /** Longest accepted line in bytes (default 1 MiB); longer lines are counted, skipped and rejected. */
  readonly maxLineBytes: number;
  readonly maxJsonDepth: number;
  readonly onBytes?: (n: number) => void;
}

const NEWLINE = 0x0a;

/**
 * NDJSON of canonical events (the universal import format, GUIDE §3), one line at a time: memory is
 * bounded by the line cap whatever the file size. Blank lines are separators, not records.
 */
export async function* readNdjson(
  file: string,
  source: AsyncIterable<Buffer | string>,
  options: NdjsonOptions,
): AsyncGenerator<Converted> {
  const reader = new ByteReader(source, options.onBytes);
  let first = true;
  for (;;) {
    const record = await reader.readRecord(NEWLINE, options.maxLineBytes);
    if (!record) return;
    const position = `line ${record.line}`;
    let bytes = record.bytes;
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    first = false;
    if (record.oversizeBytes !== undefined) {
      yield reject(
        { file, position, raw: bytes.toString('latin1') },
        'LINE_TOO_LONG',
        `line ${record.line}: ${record.oversizeBytes} bytes, expected at most ${options.maxLineBytes} bytes per line`,
      );
      continue;
    }
    const text = decodeUtf8(bytes, `line ${record.line}`);
    if (text instanceof RejectError) {
      yield reject({ file, position, raw: bytes.toString('latin1') }, text.code, text.message);
      continue;
    }
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.trim() === '') continue;
    const origin = { file, position, raw: line };
    let value: unknown;
    try {
      value = parseJsonGuarded(line, options.maxJsonDepth, `line ${record.line}`);
    } catch (err) {
      yield rejectionFrom(err, origin);
      continue;
    }
    yield validate(value, origin);
  }
}
