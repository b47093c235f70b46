import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import {
  BatchWriter,
  type Config,
  chTime,
  type DetectedException,
  exceptionSchema,
  exceptionStatuses,
  fromChTime,
  type Logger,
  queryRows,
  RejectError,
  type Running,
  type Store,
  type StreamNames,
  startSink,
} from '../core/mod.ts';
import { ensureDurable } from '../core/nats.ts';

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
  config: Pick<Config, 'flushRows' | 'flushIntervalMs'>;
  logger: Logger;
}): Promise<Running & { writer: BatchWriter<ExceptionRow> }> {
  const durable = deps.names.consumer('exceptions_sink');
  await ensureDurable(deps.jsm, deps.names.exceptionsStream, durable);
  const writer = new BatchWriter<ExceptionRow>(deps.store, deps.store.table('exceptions'), {
    maxRows: deps.config.flushRows,
    intervalMs: deps.config.flushIntervalMs,
  });
  const running = await startSink({
    js: deps.js,
    stream: deps.names.exceptionsStream,
    durable,
    writer,
    logger: deps.logger,
    toRow: (msg: JsMsg) => toExceptionRow(exceptionSchema.parse(msg.json()), msg.info.timestampNanos / 1e6),
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

export const exceptionQuerySchema = z.object({
  status: z.enum([...exceptionStatuses, 'active', 'all']).default('active'),
  type: z.string().max(64).optional(),
  warehouseId: z.string().max(256).optional(),
  lane: z.string().max(256).optional(),
  customerTier: z.enum(['tier1', 'tier2', 'tier3']).optional(),
  limit: z.coerce.number().int().min(1).max(5_000).default(200),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type ExceptionQuery = z.output<typeof exceptionQuerySchema>;

/** Latest state of each exception (FINAL), filtered; newest first. `active` = open or assigned. */
export async function queryExceptions(store: Store, q: ExceptionQuery): Promise<DetectedException[]> {
  const where: string[] = [];
  if (q.status === 'active') where.push("status IN ('open','assigned')");
  else if (q.status !== 'all') where.push('status = {status:String}');
  if (q.type) where.push('type = {type:String}');
  if (q.warehouseId) where.push('warehouse_id = {warehouseId:String}');
  if (q.lane) where.push('lane = {lane:String}');
  if (q.customerTier) where.push('customer_tier = {customerTier:String}');
  const rows = await queryRows<ExceptionRow>(
    store,
    `SELECT * FROM ${store.table('exceptions')} FINAL
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY occurred_at DESC, id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...q },
  );
  return rows.map(fromExceptionRow);
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
