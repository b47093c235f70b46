import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { describeValue, type FieldIssue, RejectError } from '../core/mod.ts';
import { parseDay } from './days.ts';
import { buildSeries, type LaneSeries, type VolumeRow } from './series.ts';

/**
 * The backtest input format: `lane,date,volume` plus optional `warehouse` and numeric regressor columns
 * (promotion flags, holidays, known future commitments …). Every problem names the line, the field,
 * the value and what was expected.
 */
export const REQUIRED_COLUMNS = ['lane', 'date', 'volume'] as const;
const RESERVED = new Set<string>([...REQUIRED_COLUMNS, 'warehouse']);
const MAX_ISSUES = 10;

const parsedRecords = z.array(
  z.object({ record: z.array(z.string()), info: z.looseObject({ lines: z.number() }) }),
);

const laneField = z
  .string()
  .min(1, 'a non-empty lane name')
  .max(128, 'a lane name of at most 128 characters')
  .regex(/^[^\s,@]+$/, 'a lane name without spaces, commas or @');
const dayField = z.string().transform((s, ctx) => {
  const day = parseDay(s);
  if (day === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a date YYYY-MM-DD' });
    return z.NEVER;
  }
  return day;
});
const numberField = (expected: string, min?: number) =>
  z.string().transform((s, ctx) => {
    const n = s.trim() === '' ? Number.NaN : Number(s);
    if (!Number.isFinite(n) || (min !== undefined && n < min)) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return n;
  });
const volumeField = numberField('a number >= 0', 0);
const regressorField = numberField('a finite number');

export interface SeriesCsv {
  readonly series: LaneSeries[];
  readonly regressorNames: readonly string[];
  readonly rows: number;
}

export function parseSeriesCsv(text: string, source = 'series CSV'): SeriesCsv {
  let raw: unknown;
  try {
    raw = parse(text, {
      info: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    });
  } catch (cause) {
    throw new RejectError(
      'SERIES_CSV_INVALID',
      `${source}: not valid CSV (${(cause as Error).message})`,
      [],
      {
        cause,
      },
    );
  }
  const records = parsedRecords.parse(raw);
  const header = records[0]?.record;
  if (!header) {
    throw new RejectError('SERIES_CSV_EMPTY', `${source}: empty file, expected a header lane,date,volume`, [
      { field: '(header)', value: '', expected: 'lane,date,volume' },
    ]);
  }
  const columns = header.map((c) => c.trim());
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) {
    throw new RejectError(
      'SERIES_CSV_MISSING_COLUMN',
      `${source}: missing column ${missing.join(', ')} (header is ${columns.join(',')}), expected columns lane,date,volume[,warehouse][,regressor…]`,
      missing.map((c) => ({ field: c, value: undefined, expected: 'a column in the header' })),
    );
  }
  const duplicated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (duplicated.length > 0) {
    throw new RejectError(
      'SERIES_CSV_DUPLICATE_COLUMN',
      `${source}: column ${duplicated.join(', ')} appears twice`,
      [{ field: duplicated[0] ?? '', value: columns.join(','), expected: 'each column once' }],
    );
  }
  const regressorNames = columns.filter((c) => !RESERVED.has(c));
  const index = (name: string) => columns.indexOf(name);
  const rows: VolumeRow[] = [];
  const issues: FieldIssue[] = [];
  const messages: string[] = [];
  const check = <T>(
    schema: z.ZodType<T>,
    value: string | undefined,
    field: string,
    line: number,
  ): T | undefined => {
    const r = schema.safeParse(value ?? '');
    if (r.success) return r.data;
    const expected = r.error.issues[0]?.message ?? 'a valid value';
    issues.push({ field: `line ${line}.${field}`, value, expected });
    messages.push(`line ${line}: ${field}: got ${describeValue(value)}, expected ${expected}`);
    return undefined;
  };
  for (const { record, info } of records.slice(1)) {
    if (issues.length >= MAX_ISSUES) break;
    const line = info.lines;
    if (record.length !== columns.length) {
      issues.push({ field: `line ${line}`, value: record.join(','), expected: `${columns.length} fields` });
      messages.push(
        `line ${line}: got ${record.length} fields, expected ${columns.length} (${columns.join(',')})`,
      );
      continue;
    }
    const lane = check(laneField, record[index('lane')], 'lane', line);
    const day = check(dayField, record[index('date')], 'date', line);
    const volume = check(volumeField, record[index('volume')], 'volume', line);
    const warehouseAt = index('warehouse');
    const warehouse =
      warehouseAt >= 0 ? (check(z.string().max(128), record[warehouseAt], 'warehouse', line) ?? '') : '';
    const regressors: Record<string, number> = {};
    for (const name of regressorNames) {
      const value = check(regressorField, record[index(name)], name, line);
      if (value !== undefined) regressors[name] = value;
    }
    if (lane === undefined || day === undefined || volume === undefined) continue;
    rows.push({ lane, warehouse, day, volume, regressors, source: `line ${line}` });
  }
  if (issues.length > 0) {
    const more = issues.length >= MAX_ISSUES ? ' (first 10 problems shown)' : '';
    throw new RejectError('SERIES_CSV_INVALID', `${source}: ${messages.join('; ')}${more}`, issues);
  }
  if (rows.length === 0) {
    throw new RejectError(
      'SERIES_CSV_EMPTY',
      `${source}: no data rows, expected at least one lane,date,volume row`,
      [{ field: '(rows)', value: 0, expected: 'at least one row' }],
    );
  }
  return { series: buildSeries(rows), regressorNames, rows: rows.length };
}

/** Writes series back to the same CSV format (used by `forecast olist-series`). */
export function formatSeriesCsv(series: readonly LaneSeries[], formatDate: (day: number) => string): string {
  const names = [...new Set(series.flatMap((s) => Object.keys(s.regressors)))].sort();
  const withWarehouse = series.some((s) => s.warehouse !== '');
  const header = ['lane', ...(withWarehouse ? ['warehouse'] : []), 'date', 'volume', ...names];
  const lines = [header.join(',')];
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) {
      const cells = [
        s.lane,
        ...(withWarehouse ? [s.warehouse] : []),
        formatDate(s.start + i),
        String(s.values[i]),
      ];
      for (const name of names) cells.push(String(s.regressors[name]?.[i] ?? 0));
      lines.push(cells.join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
