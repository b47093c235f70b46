import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import {
  BatchWriter,
  type Config,
  chTime,
  customerTiers,
  type DeadLetters,
  type DetectedException,
  exceptionSchema,
  exceptionStatuses,
  exceptionTypes,
  fromChTime,
  type Logger,
  queryRows,
  RejectError,
  type Running,
  type Store,
  type StreamNames,
  severities,
  startSink,
} from '../core/mod.ts';
import { ensureDurable } from '../core/nats.ts';
import { currentState } from './lifecycle.ts';
import type { LifecycleStore } from './lifecycle-store.ts';

export interface ExceptionRow {
  id: string;
  type: string;
  status: string;
  severity: string;
  confidence: number;
  detected_at: string;
  occurred_at: string;
  published_at: string;
  shipment_id: string;
  warehouse_id: string;
  customer_id: string;
  customer_tier: string;
  lane: string;
  /** '' when the commitment names no carrier (and in rows written before migration 22). */
  carrier_id: string;
  sku: string;
  evidence: string[];
  details: string;
  assigned_to: string;
  assigned_at: string | null;
  resolved_at: string | null;
  resolution: string;
  version: number;
}

const ms = (iso: string) => chTime(Date.parse(iso));

export function toExceptionRow(ex: DetectedException, publishedAtMs: number): ExceptionRow {
  return {
    id: ex.id,
    type: ex.type,
    status: ex.status,
    severity: ex.severity,
    confidence: ex.confidence,
    detected_at: ms(ex.detectedAt),
    occurred_at: ms(ex.occurredAt),
    published_at: chTime(publishedAtMs),
    shipment_id: ex.shipmentId ?? '',
    warehouse_id: ex.warehouseId ?? '',
    customer_id: ex.customerId ?? '',
    customer_tier: ex.customerTier ?? '',
    lane: ex.lane ?? '',
    carrier_id: ex.carrierId ?? '',
    sku: ex.sku ?? '',
    evidence: ex.evidence,
    details: JSON.stringify(ex.details),
    assigned_to: ex.assignedTo ?? '',
    assigned_at: ex.assignedAt ? ms(ex.assignedAt) : null,
    resolved_at: ex.resolvedAt ? ms(ex.resolvedAt) : null,
    resolution: ex.resolution ?? '',
    version: ex.version,
  };
}

const iso = (t: string) => new Date(fromChTime(t)).toISOString();
const opt = <K extends string>(key: K, v: string) => (v ? { [key]: v } : {}) as Partial<Record<K, string>>;

export function fromExceptionRow(r: ExceptionRow): DetectedException {
  return exceptionSchema.parse({
    id: r.id,
    type: r.type,
    status: r.status,
    severity: r.severity,
    confidence: Number(r.confidence),
    detectedAt: iso(r.detected_at),
    occurredAt: iso(r.occurred_at),
    evidence: r.evidence,
    ...opt('shipmentId', r.shipment_id),
    ...opt('warehouseId', r.warehouse_id),
    ...opt('customerId', r.customer_id),
    ...opt('customerTier', r.customer_tier),
    ...opt('lane', r.lane),
    ...opt('carrierId', r.carrier_id ?? ''),
    ...opt('sku', r.sku),
    details: z.record(z.string(), z.unknown()).parse(JSON.parse(r.details || '{}')),
    ...opt('assignedTo', r.assigned_to),
    ...(r.assigned_at ? { assignedAt: iso(r.assigned_at) } : {}),
    ...(r.resolved_at ? { resolvedAt: iso(r.resolved_at) } : {}),
    ...opt('resolution', r.resolution),
    version: Number(r.version),
  });
}

/** Exceptions stream → ClickHouse `exceptions` (ReplacingMergeTree on version: the latest state wins). */
export async function startExceptionSink(deps: {
  js: JetStreamClient;
  jsm: Parameters<typeof ensureDurable>[0];
  names: StreamNames;
  store: Store;
  config: Pick<Config, 'flushRows' | 'flushIntervalMs' | 'delivery'>;
  logger: Logger;
  deadLetters: DeadLetters;
  /** Called once a state is stored in ClickHouse (the incident view recomputes on its next read). */
  onStored?: (row: ExceptionRow) => void;
  /**
   * People's lifecycle records: a detector's resolution of an exception a person assigned is stored with
   * who it was assigned to (the detector does not know; the list reads ClickHouse).
   */
  lifecycle?: Pick<LifecycleStore, 'record'>;
}): Promise<Running & { writer: BatchWriter<ExceptionRow> }> {
  const durable = deps.names.consumer('exceptions_sink');
  await ensureDurable(deps.jsm, deps.names.exceptionsStream, durable);
  const writer = new BatchWriter<ExceptionRow>(deps.store, deps.store.table('exceptions'), {
    maxRows: deps.config.flushRows,
    intervalMs: deps.config.flushIntervalMs,
  });
  const running = await startSink({
    ...deps,
    stream: deps.names.exceptionsStream,
    durable,
    writer,
    toRow: async (msg: JsMsg) => {
      let state = exceptionSchema.parse(msg.json());
      // Only a detector's resolution can lack an assignee a person set: person states carry their own.
      if (deps.lifecycle && state.status === 'resolved' && state.assignedTo === undefined) {
        state = currentState(state, await deps.lifecycle.record(state.id)) ?? state;
      }
      return toExceptionRow(state, msg.info.timestampNanos / 1e6);
    },
  });
  return {
    writer,
    done: running.done,
    async stop() {
      await running.stop();
      await writer.close();
    },
  };
}

/** `a,b` (or a repeated parameter) → a set of allowed values; anything else is one issue naming the bad parts. */
function listOf<T extends string>(allowed: readonly T[]) {
  return z
    .preprocess((v) => (Array.isArray(v) ? v.join(',') : v), z.string().max(1_024))
    .transform((text, ctx): T[] => {
      const parts = [...new Set(text.split(',').map((p) => p.trim()))].filter(Boolean);
      const bad = parts.filter((p) => !(allowed as readonly string[]).includes(p));
      if (parts.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          input: text,
          message: `one or more (comma-separated) of ${allowed.join(', ')}${bad.length ? `; unknown: ${bad.join(', ')}` : ''}`,
        });
        return z.NEVER;
      }
      return parts as T[];
    })
    .meta({ description: `One or more (comma-separated) of ${allowed.join(', ')}` });
}

const DURATION_MINUTES = { m: 1, h: 60, d: 1_440 } as const;
/** `30m`, `2h`, `1d` → minutes. */
const duration = z
  .string()
  .regex(/^\d{1,6}[mhd]$/, 'a duration like 30m, 2h or 1d')
  .transform((s) => Number(s.slice(0, -1)) * DURATION_MINUTES[s.slice(-1) as keyof typeof DURATION_MINUTES]);
const minutes = z.coerce.number().min(0).max(5_256_000);

export const exceptionSorts = ['recent', 'urgency'] as const;

/**
 * `GET /api/exceptions` filters (strict: an unknown parameter is a 400 too). Age is minutes since occurredAt
 * (the broken promise): `ageMin`/`ageMax`, or `olderThan=30m` (the same as ageMin=30).
 */
export const exceptionFilterSchema = z.strictObject({
  status: z.enum([...exceptionStatuses, 'active', 'all']).default('active'),
  type: listOf(exceptionTypes).optional(),
  severity: listOf(severities).optional(),
  warehouseId: z.string().min(1).max(256).optional(),
  lane: z.string().min(1).max(256).optional(),
  carrierId: z.string().min(1).max(256).optional(),
  customerId: z.string().min(1).max(256).optional(),
  customerTier: z.enum(customerTiers).optional(),
  ageMin: minutes.optional(),
  ageMax: minutes.optional(),
  olderThan: duration.optional(),
});

export const exceptionQuerySchema = exceptionFilterSchema.extend({
  /** `recent`: newest occurredAt first (the default); `urgency`: severity, then longest past the SLA. */
  sort: z.enum(exceptionSorts).default('recent'),
  limit: z.coerce.number().int().min(1).max(5_000).default(200),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type ExceptionFilter = z.output<typeof exceptionFilterSchema>;
export type ExceptionQuery = z.output<typeof exceptionQuerySchema>;

/** WHERE clause and parameters of a filter; ages are measured from `nowMs`. */
function whereOf(f: ExceptionFilter, nowMs: number): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const eq = (column: string, key: 'warehouseId' | 'lane' | 'carrierId' | 'customerId' | 'customerTier') => {
    const v = f[key];
    if (v === undefined) return;
    where.push(`${column} = {${key}:String}`);
    params[key] = v;
  };
  if (f.status === 'active') where.push("status IN ('open','assigned')");
  else if (f.status !== 'all') {
    where.push('status = {status:String}');
    params.status = f.status;
  }
  if (f.type) {
    where.push('type IN {types:Array(String)}');
    params.types = f.type;
  }
  if (f.severity) {
    where.push('severity IN {severities:Array(String)}');
    params.severities = f.severity;
  }
  eq('warehouse_id', 'warehouseId');
  eq('lane', 'lane');
  eq('carrier_id', 'carrierId');
  eq('customer_id', 'customerId');
  eq('customer_tier', 'customerTier');
  const ageMin = Math.max(f.ageMin ?? 0, f.olderThan ?? 0);
  if (ageMin > 0) {
    where.push("occurred_at <= toDateTime64({olderEdge:String}, 3, 'UTC')");
    params.olderEdge = chTime(nowMs - ageMin * 60_000);
  }
  if (f.ageMax !== undefined) {
    where.push("occurred_at >= toDateTime64({youngerEdge:String}, 3, 'UTC')");
    params.youngerEdge = chTime(nowMs - f.ageMax * 60_000);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** Severity rank for urgency: critical first; then the longest past its SLA (oldest occurredAt). */
const ORDER: Record<(typeof exceptionSorts)[number], string> = {
  recent: 'occurred_at DESC, id',
  urgency: "indexOf(['low','medium','high','critical'], severity) DESC, occurred_at ASC, id",
};

/** Latest state of each exception (FINAL), filtered and sorted. `active` = open or assigned. */
export async function queryExceptions(
  store: Store,
  q: ExceptionQuery,
  nowMs = Date.now(),
): Promise<DetectedException[]> {
  const { sql, params } = whereOf(q, nowMs);
  const rows = await queryRows<ExceptionRow>(
    store,
    `SELECT * FROM ${store.table('exceptions')} FINAL ${sql}
     ORDER BY ${ORDER[q.sort]} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...params, limit: q.limit, offset: q.offset },
  );
  return rows.map(fromExceptionRow);
}

/** How many exceptions match the filter (for `total` beside a page). */
export async function countExceptions(store: Store, f: ExceptionFilter, nowMs = Date.now()): Promise<number> {
  const { sql, params } = whereOf(f, nowMs);
  const rows = await queryRows<{ n: string }>(
    store,
    `SELECT count() AS n FROM ${store.table('exceptions')} FINAL ${sql}`,
    params,
  );
  return Number(rows[0]?.n ?? 0);
}

export interface ExceptionCountCell {
  readonly type: string;
  readonly warehouseId: string;
  readonly count: number;
}

/** Counts per type × warehouse of the exceptions matching the filter (the board's heat strip). */
export async function countByTypeAndWarehouse(
  store: Store,
  f: ExceptionFilter,
  nowMs = Date.now(),
): Promise<ExceptionCountCell[]> {
  const { sql, params } = whereOf(f, nowMs);
  const rows = await queryRows<{ type: string; warehouse_id: string; n: string }>(
    store,
    `SELECT type, warehouse_id, count() AS n FROM ${store.table('exceptions')} FINAL ${sql}
     GROUP BY type, warehouse_id ORDER BY type, warehouse_id`,
    params,
  );
  return rows.map((r) => ({ type: r.type, warehouseId: r.warehouse_id, count: Number(r.n) }));
}

export async function getException(store: Store, id: string): Promise<DetectedException | undefined> {
  const rows = await queryRows<ExceptionRow>(
    store,
    `SELECT * FROM ${store.table('exceptions')} FINAL WHERE id = {id:String} LIMIT 1`,
    { id },
  );
  const row = rows[0];
  return row ? fromExceptionRow(row) : undefined;
}

/** The latest state of each of `ids` that exists (FINAL), in no particular order. */
export async function getExceptions(store: Store, ids: readonly string[]): Promise<DetectedException[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<ExceptionRow>(
    store,
    `SELECT * FROM ${store.table('exceptions')} FINAL WHERE id IN {ids:Array(String)}`,
    { ids },
  );
  return rows.map(fromExceptionRow);
}

export async function countExceptionsByType(store: Store): Promise<Record<string, number>> {
  const rows = await queryRows<{ type: string; n: string }>(
    store,
    `SELECT type, count() AS n FROM ${store.table('exceptions')} FINAL GROUP BY type`,
  );
  return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
}

export function notFound(id: string): RejectError {
  return new RejectError(
    'EXCEPTION_NOT_FOUND',
    `exception ${id} not found`,
    [{ field: 'id', value: id, expected: 'an existing exception id' }],
    {
      httpStatus: 404,
    },
  );
}
