import type { z } from 'zod';
import { fieldIssues } from '../../core/mod.ts';
import {
  type DirectoryFormat,
  type LineIssue,
  lineIssue,
  type NumberedRecord,
  readRecords,
  redacted,
  shown,
} from './records.ts';
import { type CustomerEntry, customerEntrySchema, type UserEntry, userEntrySchema } from './types.ts';

/**
 * Customer and user directory files → checked entries (pure). NDJSON or CSV with a header row; the known
 * fields are checked with the entry schemas, any other field is kept as text in `attributes` (customers).
 * Every problem names the line, the field, the value (personal data redacted) and the expectation.
 * A key seen twice in one file: the later line wins, and a warning names both lines (not a reject: the
 * file is still usable, and a later correction appended to a file is a common way to fix one row).
 */
export type { DirectoryFormat, LineIssue } from './records.ts';
export { detectFormat } from './records.ts';

export interface ParseOptions {
  readonly format?: 'auto' | DirectoryFormat;
  /** Where the entries came from (a file name, `api:…`, `crm:…`), stored with each customer. */
  readonly source?: string;
}

export interface ParseResult<T> {
  readonly format: DirectoryFormat;
  readonly source: string;
  readonly entries: T[];
  readonly rejects: LineIssue[];
  /** Not errors: a duplicate key (later line wins), an ignored unknown user field. */
  readonly warnings: LineIssue[];
}

const customerFields = [
  'customerId',
  'crmAccountId',
  'crmExternalId',
  'ownerUserId',
  'region',
  'tier',
  'name',
  'ownerEmail',
  'contactEmail',
] as const;
const userFields = ['userId', 'name', 'email', 'roles', 'regions', 'slackId', 'crmUserId'] as const;
const userListFields = new Set<string>(['roles', 'regions']);

interface Kind<T> {
  readonly what: string;
  readonly key: 'customerId' | 'userId';
  readonly fields: readonly string[];
  /** Required CSV columns; each inner list is satisfied by any one of its names. */
  readonly requiredColumns: readonly (readonly string[])[];
  readonly schema: z.ZodType<T>;
  /** Whether unknown fields are kept (customers) or ignored with a warning (users have no attributes). */
  readonly keepsAttributes: boolean;
  readonly personal: ReadonlySet<string>;
  /** Fields of which at least one must be present. */
  readonly oneOf?: readonly [string, string];
}

const customers: Kind<CustomerEntry> = {
  what: 'customer',
  key: 'customerId',
  fields: customerFields,
  requiredColumns: [['customerId'], ['crmAccountId', 'crmExternalId'], ['ownerUserId'], ['region'], ['tier']],
  schema: customerEntrySchema,
  keepsAttributes: true,
  personal: new Set(['ownerEmail', 'contactEmail']),
  oneOf: ['crmAccountId', 'crmExternalId'],
};

const users: Kind<UserEntry> = {
  what: 'user',
  key: 'userId',
  fields: userFields,
  requiredColumns: [['userId'], ['name']],
  schema: userEntrySchema,
  keepsAttributes: false,
  personal: new Set(['name', 'email']),
};

export function parseCustomers(text: string, opts: ParseOptions = {}): ParseResult<CustomerEntry> {
  return parseText(customers, text, opts);
}

export function parseUsers(text: string, opts: ParseOptions = {}): ParseResult<UserEntry> {
  return parseText(users, text, opts);
}

/** Already-decoded items (a JSON array body): item i is reported as line i + 1. */
export function customersFromItems(items: readonly unknown[], source = 'api'): ParseResult<CustomerEntry> {
  return fromItems(customers, items, source);
}

export function usersFromItems(items: readonly unknown[], source = 'api'): ParseResult<UserEntry> {
  return fromItems(users, items, source);
}

function parseText<T>(kind: Kind<T>, text: string, opts: ParseOptions): ParseResult<T> {
  const read = readRecords(text, opts.format ?? 'auto');
  const source = opts.source ?? read.format;
  if (read.columns) {
    const missing = kind.requiredColumns.filter((names) => !names.some((n) => read.columns?.includes(n)));
    if (missing.length > 0) {
      const rejects = missing.map((names) =>
        lineIssue(
          1,
          names.join(' or '),
          shown(read.columns?.join(',')),
          `a header with a column named ${names.join(' or ')} (no row was read)`,
        ),
      );
      return {
        format: read.format,
        source,
        entries: [],
        rejects: [...rejects, ...read.rejects.map((r) => hideLine(kind, r))],
        warnings: [],
      };
    }
  }
  const checked = checkRecords(kind, read.records);
  const unreadable = read.rejects.map((r) => hideLine(kind, r));
  const rejects = [...unreadable, ...checked.rejects].sort((a, b) => a.line - b.line);
  return { format: read.format, source, entries: checked.entries, rejects, warnings: checked.warnings };
}

function fromItems<T>(kind: Kind<T>, items: readonly unknown[], source: string): ParseResult<T> {
  const records: NumberedRecord[] = [];
  const rejects: LineIssue[] = [];
  for (const [i, item] of items.entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      rejects.push(hideLine(kind, lineIssue(i + 1, '', shown(item), `a ${kind.what} object`)));
      continue;
    }
    records.push({ line: i + 1, values: Object.fromEntries(Object.entries(item)), fromCsv: false });
  }
  const checked = checkRecords(kind, records);
  return {
    format: 'ndjson',
    source,
    entries: checked.entries,
    rejects: [...rejects, ...checked.rejects].sort((a, b) => a.line - b.line),
    warnings: checked.warnings,
  };
}

function checkRecords<T>(
  kind: Kind<T>,
  records: readonly NumberedRecord[],
): { entries: T[]; rejects: LineIssue[]; warnings: LineIssue[] } {
  const byKey = new Map<string, { line: number; entry: T }>();
  const rejects: LineIssue[] = [];
  const warnings: LineIssue[] = [];
  const ignored = new Set<string>();
  for (const rec of records) {
    const { input, unknown } = shape(kind, rec);
    for (const field of unknown.filter((f) => !ignored.has(f))) {
      ignored.add(field); // once per file, at its first line
      const expected = `one of the ${kind.what} fields ${kind.fields.join(', ')} (this field is ignored)`;
      warnings.push(lineIssue(rec.line, field, '(not shown)', expected));
    }
    const parsed = kind.schema.safeParse(input);
    if (!parsed.success) {
      // zod runs the object's refinement only once its fields pass: check the one-of rule here too.
      const issues = fieldIssues(parsed.error, input);
      const oneOf = kind.oneOf;
      if (oneOf?.every((f) => input[f] === undefined) && !issues.some((i) => i.field === oneOf[0])) {
        issues.push({ field: oneOf[0], value: undefined, expected: '' });
      }
      for (const issue of issues) {
        const shownValue = kind.personal.has(issue.field) ? redacted(issue.value) : shown(issue.value);
        rejects.push(
          lineIssue(rec.line, issue.field, shownValue, expectation(issue.field, issue.value, issue.expected)),
        );
      }
      continue;
    }
    const key = String(input[kind.key]);
    const earlier = byKey.get(key);
    if (earlier) {
      warnings.push(
        lineIssue(
          rec.line,
          kind.key,
          shown(key),
          `each ${kind.key} once per file (also on line ${earlier.line}; this later line is the one kept)`,
        ),
      );
      byKey.delete(key); // re-inserted below, so the output keeps the order of the lines that won
    }
    byKey.set(key, { line: rec.line, entry: parsed.data });
  }
  return { entries: [...byKey.values()].map((v) => v.entry), rejects, warnings };
}

/** One record → the schema's input: known fields trimmed, CSV blanks absent, lists split, the rest attributes. */
function shape<T>(kind: Kind<T>, rec: NumberedRecord): { input: Record<string, unknown>; unknown: string[] } {
  const input: Record<string, unknown> = {};
  const attributes: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [field, raw] of Object.entries(rec.values)) {
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (value === '' && rec.fromCsv) continue;
    if (kind.fields.includes(field)) {
      input[field] = userListFields.has(field) && typeof value === 'string' ? splitList(value) : value;
    } else if (field === 'attributes' && kind.keepsAttributes && isTextRecord(value)) {
      Object.assign(attributes, value);
    } else if (kind.keepsAttributes) {
      if (value !== undefined && value !== null)
        attributes[field] = typeof value === 'string' ? value : JSON.stringify(value);
    } else {
      unknown.push(field);
    }
  }
  if (kind.keepsAttributes) input.attributes = attributes;
  return { input, unknown };
}

/** A whole unreadable line of a users file is people's names and addresses: say what was wrong, not what it held. */
function hideLine<T>(kind: Kind<T>, issue: LineIssue): LineIssue {
  if (!kind.personal.has('name') || issue.field !== '') return issue;
  return lineIssue(issue.line, '', '(the line, not shown: personal data)', issue.expected);
}

function splitList(text: string): string[] {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function isTextRecord(v: unknown): v is Record<string, string> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

/** Plainer words than the schema's for the cases people hit in files. */
function expectation(field: string, value: unknown, fromSchema: string): string {
  if (value === undefined || value === '') {
    return field === 'crmAccountId' ? 'crmAccountId or crmExternalId (at least one)' : 'a value (required)';
  }
  if (fromSchema === 'format email') return 'an e-mail address like name@example.com';
  if (fromSchema.startsWith('one of ')) return fromSchema;
  if (field === 'roles' || field === 'regions') return `${fromSchema} (in CSV: names separated by ;)`;
  return fromSchema;
}
