import type { Store } from './clickhouse.ts';
import { chTime, queryRows } from './clickhouse.ts';

/**
 * Versioned schema migrations, applied in order at start and recorded in schema_migrations.
 * A migration is never edited once released; a change is a new version.
 * ReplacingMergeTree + insert deduplication tokens make every write idempotent; exact reads use FINAL.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

const dedupe = 'SETTINGS non_replicated_deduplication_window = 10000';
const ts = "DateTime64(3, 'UTC')";

export const coreMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'events, exceptions, dead letters',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.events (
        id String, type LowCardinality(String), occurred_at ${ts}, received_at ${ts},
        source LowCardinality(String), shipment_id String, warehouse_id String, customer_id String,
        lane String, late UInt8, payload String
      ) ENGINE = ReplacingMergeTree ORDER BY (type, id) ${dedupe}`,
      `CREATE TABLE IF NOT EXISTS {db}.exceptions (
        id String, type LowCardinality(String), status LowCardinality(String), severity LowCardinality(String),
        confidence Float64, detected_at ${ts}, occurred_at ${ts}, published_at ${ts},
        shipment_id String, warehouse_id String, customer_id String, customer_tier LowCardinality(String),
        lane String, sku String, evidence Array(String), details String,
        assigned_to String, assigned_at Nullable(${ts}), resolved_at Nullable(${ts}), resolution String,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version) ORDER BY id ${dedupe}`,
      `CREATE TABLE IF NOT EXISTS {db}.dead_letters (
        id String, received_at ${ts}, source LowCardinality(String), subject String,
        code LowCardinality(String), reason String, raw String
      ) ENGINE = ReplacingMergeTree ORDER BY id ${dedupe}`,
    ],
  },
  {
    version: 2,
    name: 'metric samples',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.metric_samples (
        ts ${ts}, process String, name LowCardinality(String), labels Map(String, String), value Float64
      ) ENGINE = MergeTree ORDER BY (name, ts) TTL toDateTime(ts) + INTERVAL 90 DAY`,
    ],
  },
];

/**
 * Applies the core migrations plus each module's own (versions: core 1-9, forecasting 10-19,
 * exceptions 20-29, ingest 30-39, writeback 40-49, dashboards 50-59), in version order.
 */
export async function migrate(
  store: Store,
  database: string,
  moduleMigrations: readonly Migration[] = [],
): Promise<number[]> {
  const db = database;
  await store.client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at ${ts})
            ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const done = new Set(
    (await queryRows<{ version: number }>(store, `SELECT version FROM ${db}.schema_migrations FINAL`)).map(
      (r) => Number(r.version),
    ),
  );
  const applied: number[] = [];
  const all = [...coreMigrations, ...moduleMigrations].sort((a, b) => a.version - b.version);
  for (const m of all) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements) await store.client.command({ query: sql.replaceAll('{db}', db) });
    await store.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name, applied_at: chTime(Date.now()) }],
      format: 'JSONEachRow',
    });
    applied.push(m.version);
  }
  return applied;
}
