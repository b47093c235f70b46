import { z } from 'zod';
import { chTime, queryRows, type Store } from '../../core/mod.ts';
import type { AuditEntry } from './entry.ts';
import { chainNameSchema } from './entry.ts';
import { entryColumns, fromLogRow } from './rows.ts';

/** `GET /api/audit` filters. Times are RFC 3339 with offset; `from` inclusive, `to` exclusive. */
export const auditQuerySchema = z.object({
  chain: chainNameSchema.optional(),
  exceptionId: z.string().min(1).max(512).optional(),
  customerId: z.string().min(1).max(512).optional(),
  ref: z.string().min(1).max(512).optional(),
  kind: z.string().min(1).max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  /** `desc` (default): newest first, like a log viewer; `asc` reads an exception's history in order. */
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;

/** Entries matching the filters, by at, chain, seq (FINAL: each entry once). */
export async function queryAudit(store: Store, database: string, q: AuditQuery): Promise<AuditEntry[]> {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: q.limit, offset: q.offset };
  const eq = (column: string, key: keyof AuditQuery) => {
    const v = q[key];
    if (v === undefined) return;
    where.push(`${column} = {${key}:String}`);
    params[key] = v;
  };
  eq('chain', 'chain');
  eq('exception_id', 'exceptionId');
  eq('customer_id', 'customerId');
  eq('ref', 'ref');
  eq('kind', 'kind');
  if (q.from) {
    where.push(`at >= toDateTime64({from:String}, 3, 'UTC')`);
    params.from = chTime(Date.parse(q.from));
  }
  if (q.to) {
    where.push(`at < toDateTime64({to:String}, 3, 'UTC')`);
    params.to = chTime(Date.parse(q.to));
  }
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const rows = await queryRows<unknown>(
    store,
    `SELECT ${entryColumns} FROM ${database}.decision_log FINAL
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY at ${dir}, chain ${dir}, seq ${dir} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    params,
  );
  return rows.map(fromLogRow);
}
