import {
  type Migration,
  queryRows,
  reconcileRetention,
  type SchemaTarget,
  type Store,
  storageTable,
  type TableSpec,
  tableTtl,
  targetOf,
} from '../../core/mod.ts';

const ts = "DateTime64(3, 'UTC')";

/**
 * decision_log (version 40 of write-back's 40-49): one row per entry, ReplacingMergeTree by (chain, seq) so a
 * redelivered block stores nothing twice. Created with the default 365 days; applyRetention sets the policy's.
 * Skip indexes serve the API's lookups by exception, ref and time (at grows with seq within a chain).
 */
const decisionLog: TableSpec = {
  table: 'decision_log',
  columns: `chain LowCardinality(String), seq UInt64, prev_hash String, hash String, at ${ts},
        kind LowCardinality(String), actor String, reason_code LowCardinality(String), policy_version String,
        exception_id String, customer_id String, ref String, evidence Array(String), details String,
        stored_at ${ts},
        INDEX ix_exception exception_id TYPE bloom_filter GRANULARITY 4,
        INDEX ix_ref ref TYPE bloom_filter GRANULARITY 4,
        INDEX ix_at at TYPE minmax GRANULARITY 1`,
  engine: 'ReplacingMergeTree',
  orderBy: '(chain, seq)',
  ttl: { column: 'at', retention: 'decisions' },
  dedupeWindow: 10_000,
  // A chain stays on one shard: its head is read back in seq order.
  shardBy: 'cityHash64(chain)',
};

export const auditMigrations: readonly Migration[] = [
  { version: 40, name: 'decision log', statements: [decisionLog] },
];

/** The retention (days) decision_log's TTL now has, read from its definition; undefined without a TTL. */
export async function currentRetention(
  store: Store,
  target: string | SchemaTarget,
): Promise<number | undefined> {
  const t = targetOf(target);
  const rows = await queryRows<{ engine_full: string }>(
    store,
    'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {name:String}',
    { db: t.database, name: storageTable(t, decisionLog.table) },
  );
  return tableTtl(rows[0]?.engine_full ?? '')?.days;
}

/**
 * Makes decision_log keep `retainDays` (the policy's logging.retain_days). Idempotent: the table is altered
 * only when its TTL differs, since a changed TTL rewrites the table's parts.
 */
export async function applyRetention(
  store: Store,
  target: string | SchemaTarget,
  retainDays: number,
): Promise<{ changed: boolean; previous: number | undefined }> {
  if (!Number.isInteger(retainDays) || retainDays < 1) {
    throw new RangeError(`retainDays: got ${retainDays}, expected a whole number of days >= 1`);
  }
  const t = targetOf(target);
  const previous = await currentRetention(store, t);
  const altered = await reconcileRetention(store, { ...t, retainDays: { decisions: retainDays } }, [
    decisionLog,
  ]);
  return { changed: altered.length > 0, previous };
}
