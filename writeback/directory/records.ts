import { parse } from 'csv-parse/sync';
import { z } from 'zod';

/**
 * Directory files as numbered records, before any field is checked: NDJSON (one JSON object a line) or CSV
 * with a header row. Pure (text in, records out). A BOM, CRLF, quoted fields and blank lines are handled;
 * a line that cannot be read is reported with its line number instead of aborting the file.
 */
export type DirectoryFormat = 'ndjson' | 'csv';

export interface NumberedRecord {
  /** 1-based line where the record starts. */
  readonly line: number;
  readonly values: Readonly<Record<string, unknown>>;
  /** CSV cells are text: empty means absent, list fields are `;`-separated. */
  readonly fromCsv: boolean;
}

/** A problem with one line: the field (empty for the whole line), the value as shown, and what was expected. */
export interface LineIssue {
  readonly line: number;
  readonly field: string;
  readonly value: string;
  readonly expected: string;
  readonly message: string;
}

export interface RecordsResult {
  readonly format: DirectoryFormat;
  readonly columns?: readonly string[];
  readonly records: NumberedRecord[];
  readonly rejects: LineIssue[];
}

/** A line whose first visible character is `{` is NDJSON; anything else is read as CSV with a header. */
export function detectFormat(text: string): DirectoryFormat {
  const first = stripBom(text).trimStart()[0];
  return first === '{' ? 'ndjson' : 'csv';
}

export function readRecords(text: string, format: 'auto' | DirectoryFormat): RecordsResult {
  const f = format === 'auto' ? detectFormat(text) : format;
  return f === 'ndjson' ? readNdjson(stripBom(text)) : readCsvText(stripBom(text));
}

const jsonObject = z.record(z.string(), z.unknown());

function readNdjson(text: string): RecordsResult {
  const records: NumberedRecord[] = [];
  const rejects: LineIssue[] = [];
  for (const [i, rawLine] of text.split(/\r?\n|\r/).entries()) {
    const line = i + 1;
    const body = rawLine.trim();
    if (body === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (cause) {
      // V8's message quotes a cut of the line (personal data, half an address): keep only the position.
      const at = /position (\d+)/.exec(cause instanceof Error ? cause.message : '')?.[1];
      const why = at === undefined ? 'not valid JSON' : `not valid JSON at character ${Number(at) + 1}`;
      rejects.push(lineIssue(line, '', shown(body), `a JSON object (${why})`));
      continue;
    }
    const obj = jsonObject.safeParse(value);
    if (!obj.success || Array.isArray(value)) {
      rejects.push(lineIssue(line, '', shown(body), 'a JSON object, one a line'));
      continue;
    }
    records.push({ line, values: obj.data, fromCsv: false });
  }
  return { format: 'ndjson', records, rejects };
}

/** csv-parse's record with `info` and `raw` (its result is untyped). */
const csvRecord = z.object({
  record: z.array(z.string()),
  info: z.looseObject({ lines: z.number() }),
  raw: z.string(),
});
const csvSkip = z.looseObject({ message: z.string(), lines: z.number().optional() });

function readCsvText(text: string): RecordsResult {
  const rejects: LineIssue[] = [];
  // csv-parse counts lines oddly under CRLF; one newline style keeps every reported line number exact.
  const unified = text.replace(/\r\n?/g, '\n');
  const parsed: unknown = parse(unified, {
    delimiter: delimiterOf(unified),
    relax_quotes: true, // O"Brien in an unquoted field is text, as spreadsheets write it
    info: true,
    raw: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: unknown, raw: unknown) => {
      const e = csvSkip.safeParse(err);
      const rawText = typeof raw === 'string' ? raw : '';
      const end = e.success ? (e.data.lines ?? 0) : 0;
      const message = maskEmails(e.success ? e.data.message : 'unreadable CSV record');
      rejects.push(
        lineIssue(startLine(end, rawText), '', shown(rawText.trim()), `a CSV record (${message})`),
      );
      return undefined;
    },
  });
  const rows = z.array(csvRecord).parse(parsed);
  const [header, ...body] = rows;
  if (!header) return { format: 'csv', records: [], rejects };
  const columns = header.record.map((c) => c.trim());
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup !== undefined) {
    const issue = lineIssue(1, dup, shown(dup), 'unique column names in the header (no row was read)');
    return { format: 'csv', columns, records: [], rejects: [issue, ...rejects] };
  }
  const records = body.map((r) => {
    const values: Record<string, string> = {};
    for (const [i, name] of columns.entries()) values[name] = r.record[i] ?? '';
    return { line: startLine(r.info.lines, r.raw), values, fromCsv: true };
  });
  return { format: 'csv', columns, records, rejects };
}

/** Spreadsheets in some locales write `;` or tab: the header row's most frequent of the three decides. */
function delimiterOf(text: string): string {
  const nl = text.indexOf('\n');
  const header = nl < 0 ? text : text.slice(0, nl);
  const count = (d: string) => header.split(d).length - 1;
  return [';', '\t'].reduce((best, d) => (count(d) > count(best) ? d : best), ',');
}

/** csv-parse reports the line a record ends on; a record spanning lines (quoted newline) starts earlier. */
function startLine(endLine: number, rawWithBlanks: string): number {
  // The raw text of a record includes the blank lines skipped before it.
  const raw = rawWithBlanks.replace(/^\n+/, '');
  const newlines = raw.split('\n').length - 1;
  return Math.max(1, endLine - newlines + (raw.endsWith('\n') ? 1 : 0));
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function lineIssue(line: number, field: string, value: string, expected: string): LineIssue {
  const what = field === '' ? '' : `${field}: `;
  return { line, field, value, expected, message: `line ${line}: ${what}got ${value}, expected ${expected}` };
}

const EMAIL = /[^\s@",;<>]+@[^\s@",;<>]+/g;

/** Log- and error-safe rendering: quoted, shortened, and any e-mail address masked to `a***@domain`. */
export function shown(value: unknown): string {
  if (value === undefined || value === null || value === '') return '(missing)';
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const masked = maskEmails(text);
  const quoted = JSON.stringify(masked);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted;
}

/** Personal values (e-mail addresses, people's names) are never echoed: only their shape. */
export function redacted(value: unknown): string {
  if (value === undefined || value === null || value === '') return '(missing)';
  if (typeof value !== 'string') return `(a ${Array.isArray(value) ? 'list' : typeof value}, redacted)`;
  return value.includes('@') ? JSON.stringify(maskEmail(value)) : `(${value.length} characters, redacted)`;
}

export function maskEmails(text: string): string {
  return text.replace(EMAIL, maskEmail);
}

function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at <= 0 ? '***' : `${address[0]}***${address.slice(at)}`;
}
