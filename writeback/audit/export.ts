import { chTime, describeValue, queryRows, RejectError, type Store } from '../../core/mod.ts';
import { checkChainName } from './names.ts';
import { entryColumns, fromLogRow } from './rows.ts';

/** A time range of the log: `from` inclusive, `to` exclusive (RFC 3339 text, Date or epoch ms). */
export interface AuditRange {
  readonly from: string | Date | number;
  readonly to: string | Date | number;
  readonly chain?: string | undefined;
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Epoch ms of a range bound, or a RejectError naming it. */
export function rangeBound(value: string | Date | number, field: 'from' | 'to'): number {
  const ms =
    typeof value === 'number'
      ? value
      : value instanceof Date
        ? value.getTime()
        : rfc3339.test(value)
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(ms)) {
    const expected = 'an RFC 3339 timestamp with offset, e.g. 2026-01-31T14:05:00Z';
    throw new RejectError(
      'AUDIT_RANGE_INVALID',
      `${field}: got ${describeValue(value)}, expected ${expected}`,
      [{ field, value, expected }],
    );
  }
  return ms;
}

/** The range checked: bounds in epoch ms, `to` after `from`, a valid chain name; else a RejectError. */
export function checkRange(range: AuditRange): { from: number; to: number; chain?: string } {
  const from = rangeBound(range.from, 'from');
  const to = rangeBound(range.to, 'to');
  if (to <= from) {
    throw new RejectError(
      'AUDIT_RANGE_INVALID',
      `to: got ${describeValue(range.to)}, expected a time after from`,
      [{ field: 'to', value: range.to, expected: `a time after from (${new Date(from).toISOString()})` }],
    );
  }
  return { from, to, ...(range.chain !== undefined ? { chain: checkChainName(range.chain) } : {}) };
}

const toTime = (p: string) => `toDateTime64({${p}:String}, 3, 'UTC')`;

function rangeWhere(r: { chain?: string }): string[] {
  return [`at >= ${toTime('from')}`, `at < ${toTime('to')}`, ...(r.chain ? ['chain = {chain:String}'] : [])];
}

/** How many entries a range holds (for progress). */
export async function countAudit(store: Store, database: string, range: AuditRange): Promise<number> {
  const r = checkRange(range);
  const rows = await queryRows<{ n: string }>(
    store,
    `SELECT count() AS n FROM ${database}.decision_log FINAL WHERE ${rangeWhere(r).join(' AND ')}`,
    { from: chTime(r.from), to: chTime(r.to), ...(r.chain ? { chain: r.chain } : {}) },
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Writes the entries of a range as NDJSON (one AuditEntry per line, details as the stored string), ordered
 * by at, chain, seq. Reads a page at a time (keyset on that order), so any size streams in bounded memory;
 * `write` gets one chunk of lines per page and is awaited (back-pressure).
 */
export async function exportAudit(
  store: Store,
  database: string,
  range: AuditRange,
  write: (chunk: string) => Promise<void> | void,
  opts: { pageSize?: number; onProgress?: (written: number) => void } = {},
): Promise<{ entries: number }> {
  const r = checkRange(range);
  const pageSize = opts.pageSize ?? 5_000;
  let written = 0;
  let after: { at: string; chain: string; seq: number } | undefined;
  for (;;) {
    const where = rangeWhere(r);
    // `at >= after.at` repeats the tuple bound in a form the minmax index on `at` can prune by.
    if (after)
      where.push(
        `at >= ${toTime('afterAt')}`,
        `(at, chain, seq) > (${toTime('afterAt')}, {afterChain:String}, {afterSeq:UInt64})`,
      );
    const rows = await queryRows<unknown>(
      store,
      `SELECT ${entryColumns} FROM ${database}.decision_log FINAL WHERE ${where.join(' AND ')}
       ORDER BY at, chain, seq LIMIT {limit:UInt32}`,
      {
        from: chTime(r.from),
        to: chTime(r.to),
        limit: pageSize,
        ...(r.chain ? { chain: r.chain } : {}),
        ...(after ? { afterAt: after.at, afterChain: after.chain, afterSeq: after.seq } : {}),
      },
    );
    if (rows.length === 0) break;
    const entries = rows.map(fromLogRow);
    await write(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    written += entries.length;
    opts.onProgress?.(written);
    const last = entries.at(-1);
    if (!last || rows.length < pageSize) break;
    after = { at: chTime(Date.parse(last.at)), chain: last.chain, seq: last.seq };
  }
  return { entries: written };
}
