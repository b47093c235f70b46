import { booleanCell, numberCell, timestampCell } from './cell-values.ts';
import { readCsv } from './csv-rows.ts';
import type { ColumnsMapping, EventSpec, FieldSpec, valueKinds, WhenSpec } from './mapping.ts';
import { type Converted, fieldError, reject, rejectionFrom, validate } from './record.ts';

type Kind = (typeof valueKinds)[number];
type Row = Readonly<Record<string, string>>;

/** Canonical fields whose type is known, so a mapping need not say `as:` for them. */
const KIND_OF_FIELD: Readonly<Record<string, Kind>> = {
  occurredAt: 'timestamp',
  promisedShipBy: 'timestamp',
  promisedDeliverBy: 'timestamp',
  eta: 'timestamp',
  qtyOrdered: 'number',
  qtyPicked: 'number',
  countedQty: 'number',
  systemQty: 'number',
  accepted: 'boolean',
  shipmentIds: 'list',
  lines: 'lines',
};

export interface ColumnsOptions {
  readonly maxRecordBytes?: number;
  readonly onBytes?: (n: number) => void;
}

/** The `columns` profile: each CSV row → the events whose `when` it matches (at least one, or a rejection). */
export async function* convertColumnsCsv(
  file: string,
  source: AsyncIterable<Buffer | string>,
  mapping: ColumnsMapping,
  options: ColumnsOptions = {},
): AsyncGenerator<Converted> {
  const rows = readCsv(source, {
    delimiter: mapping.delimiter,
    ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  for await (const item of rows) {
    if (item.kind === 'header') continue;
    if (item.kind === 'error') {
      yield reject({ file, position: `line ${item.line}`, raw: item.raw }, item.code, item.reason);
      continue;
    }
    const { row } = item;
    const matched = mapping.events.filter((e) => !e.when || matches(e.when, row.values));
    if (matched.length === 0) {
      yield reject(
        { file, position: `line ${row.line}`, raw: row.raw },
        'CSV_NO_MATCH',
        `line ${row.line}: matched none of the mapping's events (${mapping.events.map(describeWhen).join('; ')})`,
      );
      continue;
    }
    for (const spec of matched) {
      const origin = {
        file,
        position: matched.length > 1 ? `line ${row.line} (${spec.type})` : `line ${row.line}`,
        raw: row.raw,
      };
      let candidate: Record<string, unknown>;
      try {
        candidate = buildCandidate(spec, row.values, mapping);
      } catch (err) {
        yield rejectionFrom(err, origin);
        continue;
      }
      yield validate(candidate, origin, `mapping → ${spec.type}`);
    }
  }
}

function buildCandidate(spec: EventSpec, row: Row, mapping: ColumnsMapping): Record<string, unknown> {
  const candidate: Record<string, unknown> = {
    id: template(spec.id, row, 'id'),
    type: spec.type,
    occurredAt: resolve(spec.occurredAt, 'occurredAt', row, mapping),
    source: mapping.source,
  };
  for (const [name, field] of Object.entries(spec.fields)) {
    const value = resolve(field, name, row, mapping);
    if (value !== undefined) candidate[name] = value;
  }
  return candidate;
}

function resolve(spec: FieldSpec, name: string, row: Row, mapping: ColumnsMapping): unknown {
  const f = typeof spec === 'string' ? { column: spec } : spec;
  const kind: Kind = f.as ?? KIND_OF_FIELD[name] ?? 'string';
  let raw: string | number | boolean | undefined;
  let label = name;
  if (f.value !== undefined) raw = f.value;
  else if (f.template !== undefined) raw = template(f.template, row, name);
  else if (f.column !== undefined) {
    label = `column ${f.column}`;
    raw = cell(row, f.column);
  }
  if (raw === '' || raw === undefined) raw = f.default;
  if (raw === undefined) return undefined;
  if (f.map && typeof raw === 'string') {
    const mapped = f.map[raw];
    if (mapped === undefined) {
      if (f.default === undefined)
        throw fieldError('CSV_UNMAPPED_VALUE', label, raw, `one of ${Object.keys(f.map).join(', ')}`);
      raw = f.default;
    } else raw = mapped;
  }
  return typeof raw === 'string' ? convert(raw, kind, label, mapping) : raw;
}

function convert(text: string, kind: Kind, label: string, mapping: ColumnsMapping): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'number':
      return numberCell(text, label);
    case 'integer':
      return numberCell(text, label, true);
    case 'boolean':
      return booleanCell(text, label);
    case 'timestamp':
      return timestampCell(text, mapping.zone, label);
    case 'endOfDay':
      return timestampCell(text, mapping.zone, label, true);
    case 'list':
      return text
        .split('|')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'lines':
      return text
        .split('|')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((entry) => {
          const at = entry.lastIndexOf(':');
          if (at <= 0) throw fieldError('CSV_BAD_LINES', label, entry, 'lines as sku:qty|sku:qty');
          return {
            sku: entry.slice(0, at),
            qty: numberCell(entry.slice(at + 1), `${label} qty of ${entry.slice(0, at)}`),
          };
        });
  }
}

function cell(row: Row, column: string): string {
  const v = row[column];
  if (v === undefined)
    throw fieldError(
      'CSV_MISSING_COLUMN',
      `column ${column}`,
      undefined,
      'a column of that name in the CSV header',
    );
  return v;
}

/** `{col}` placeholders filled from the row; an empty placeholder would make ids collide, so it is an error. */
function template(text: string, row: Row, name: string): string {
  return text.replace(/\{([^}]+)\}/g, (_, column: string) => {
    const v = cell(row, column).trim();
    if (v === '')
      throw fieldError(
        'CSV_EMPTY_VALUE',
        `column ${column}`,
        '',
        `a value (used in the ${name} template ${JSON.stringify(text)})`,
      );
    return v;
  });
}

function matches(when: WhenSpec, row: Row): boolean {
  const v = (row[when.column] ?? '').trim();
  if (when.in) return when.in.includes(v);
  if (when.notIn) return !when.notIn.includes(v);
  return when.present === (v !== '');
}

function describeWhen(e: EventSpec): string {
  const w = e.when;
  if (!w) return `${e.type}: always`;
  if (w.in) return `${e.type}: ${w.column} in [${w.in.join(', ')}]`;
  if (w.notIn) return `${e.type}: ${w.column} not in [${w.notIn.join(', ')}]`;
  return `${e.type}: ${w.column} ${w.present ? 'present' : 'empty'}`;
}
