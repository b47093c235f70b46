import { type Migration, queryRows, type Store } from '../../core/mod.ts';
import { DEFAULT_RETAIN_DAYS } from './resources.ts';

const ts = "DateTime64(3, 'UTC')";
const ttl = (days: number) => `toDateTime(at) + INTERVAL ${days} DAY`;

/**
 * decision_log (version 40 of write-back's 40-49): one row per entry, ReplacingMergeTree by (chain, seq) so a
 * redelivered block stores nothing twice. The TTL starts at 365 days; applyRetention sets the policy's.
 * Skip indexes serve the API's lookups by exception, ref and time (at grows with seq within a chain).
 */
export const auditMigrations: readonly Migration[] = [
  {
    version: 40,
    name: 'decision log',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.decision_log (
        chain LowCardinality(String), seq UInt64, prev_hash String, hash String, at ${ts},
        kind LowCardinality(String), actor String, reason_code LowCardinality(String), policy_version String,
        exception_id String, customer_id String, ref String, evidence Array(String), details String,
        stored_at ${ts},
        INDEX ix_exception exception_id TYPE bloom_filter GRANULARITY 4,
        INDEX ix_ref ref TYPE bloom_filter GRANULARITY 4,
        INDEX ix_at at TYPE minmax GRANULARITY 1
      ) ENGINE = ReplacingMergeTree ORDER BY (chain, seq)
      TTL ${ttl(DEFAULT_RETAIN_DAYS)}
      SETTINGS non_replicated_deduplication_window = 10000`,
    ],
  },
];

/** The retention (days) decision_log's TTL now has, read from its definition; undefined without a TTL. */
export async function currentRetention(store: Store, database: string): Promise<number | undefined> {
  const rows = await queryRows<{ engine_full: string }>(
    store,
    `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'decision_log'`,
    { db: database },
  );
  const def = rows[0]?.engine_full ?? '';
  const m = /TTL\s+toDateTime\(at\)\s*\+\s*(?:toIntervalDay\((\d+)\)|INTERVAL\s+(\d+)\s+DAY)/i.exec(def);
  const days = m?.[1] ?? m?.[2];
  return days === undefined ? undefined : Number(days);
}

/**
 * Makes decision_log keep `retainDays` (the policy's logging.retain_days). Idempotent: the table is altered
 * only when its TTL differs, since a changed TTL rewrites the table's parts.
 */
export async function applyRetention(
  store: Store,
  database: string,
  retainDays: number,
): Promise<{ changed: boolean; previous: number | undefined }> {
  if (!Number.isInteger(retainDays) || retainDays < 1) {
    throw new RangeError(`retainDays: got ${retainDays}, expected a whole number of days >= 1`);
  }
  const previous = await currentRetention(store, database);
  if (previous === retainDays) return { changed: false, previous };
  await store.client.command({
    query: `ALTER TABLE ${database}.decision_log MODIFY TTL ${ttl(retainDays)}`,
  });
  return { changed: true, previous };
}
