import { pipeline, Readable } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';
import { z } from 'zod';
import { RejectError } from '../../core/mod.ts';
import { decodeUtf8 } from './utf8.ts';

/**
 * A CSV file as a stream of header-keyed rows, with each broken record reported in place instead of
 * aborting the file (wrong field count, unclosed quote, oversize record, invalid UTF-8).
 * csv-parse reads the bytes as latin1, a lossless 1:1 byte→char mapping, so every field can then be
 * checked as strict UTF-8 on its own: a bad byte rejects its row only.
 */
export interface CsvRow {
  /** 1-based line where the record starts. */
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
  readonly raw: string;
}

export type CsvItem =
  | { readonly kind: 'header'; readonly columns: readonly string[] }
  | { readonly kind: 'row'; readonly row: CsvRow }
  | {
      readonly kind: 'error';
      readonly line: number;
      readonly code: string;
      readonly reason: string;
      readonly raw: string;
    };

export interface CsvOptions {
  readonly delimiter?: string;
  /** Longest accepted record in bytes (default 1 MiB). */
  readonly maxRecordBytes?: number;
  readonly onBytes?: (n: number) => void;
}

export async function* readCsv(
  source: AsyncIterable<Buffer | string>,
  options: CsvOptions = {},
): AsyncGenerator<CsvItem> {
  const skipped: CsvItem[] = [];
  const input = Readable.from(counting(source, options.onBytes));
  const parser = parse({
    encoding: 'latin1',
    bom: true,
    info: true,
    raw: true,
    delimiter: options.delimiter ?? ',',
    max_record_size: options.maxRecordBytes ?? 1_048_576,
    skip_records_with_error: true,
    skip_empty_lines: true,
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      const message = err?.message ?? 'unreadable record';
      const line = Number(/line (\d+)/.exec(message)?.[1] ?? 0);
      skipped.push({
        kind: 'error',
        line,
        code: err?.code ?? 'CSV_INVALID',
        reason: message,
        raw: utf8Lenient(raw ?? ''),
      });
      return undefined;
    },
  });
  // pipeline, not pipe: a read error or an early stop must end both streams (a read error reaches the
  // loop below through the parser) instead of surfacing as an uncaught 'error' event on the input.
  pipeline(input, parser, () => undefined);
  let columns: readonly string[] | undefined;
  for await (const chunk of parser) {
    yield* skipped.splice(0);
    const { record, info, raw } = parsedRecord.parse(chunk);
    const line = info.lines - countNewlines(raw) + (raw.endsWith('\n') ? 1 : 0);
    if (!columns) {
      columns = record.map((c) => c.trim());
      const dup = columns.find((c, i) => columns?.indexOf(c) !== i);
      if (dup !== undefined) {
        // Rows cannot be keyed by an ambiguous header: the whole file is one rejection.
        yield {
          kind: 'error',
          line,
          code: 'CSV_BAD_HEADER',
          reason: `CSV header: column ${JSON.stringify(dup)} appears twice, expected unique column names (no row of this file was read)`,
          raw: utf8Lenient(raw),
        };
        parser.destroy();
        return;
      }
      yield { kind: 'header', columns };
      continue;
    }
    const values: Record<string, string> = {};
    let bad: RejectError | undefined;
    for (const [i, name] of columns.entries()) {
      const decoded = decodeUtf8(Buffer.from(record[i] ?? '', 'latin1'), `column ${name}`);
      if (decoded instanceof RejectError) {
        bad ??= decoded;
        continue;
      }
      values[name] = decoded;
    }
    if (bad)
      yield {
        kind: 'error',
        line,
        code: bad.code,
        reason: `line ${line}: ${bad.message}`,
        raw: utf8Lenient(raw),
      };
    else yield { kind: 'row', row: { line, values, raw: utf8Lenient(raw).replace(/\r?\n$/, '') } };
  }
  yield* skipped.splice(0);
}

/** csv-parse's `info` + `raw` output shape (its iterator is untyped). */
const parsedRecord = z.object({
  record: z.array(z.string()),
  info: z.looseObject({ lines: z.number() }),
  raw: z.string(),
});

async function* counting(source: AsyncIterable<Buffer | string>, onBytes?: (n: number) => void) {
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    onBytes?.(buf.length);
    yield buf;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** For showing a raw record only: bytes read as latin1 shown as UTF-8, bad bytes as U+FFFD. */
function utf8Lenient(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
