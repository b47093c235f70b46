import type { Store } from './clickhouse.ts';
import { chTime, queryRows } from './clickhouse.ts';
import {
  alterTtl,
  isTable,
  renderStatement,
  retentionDays,
  type SchemaTarget,
  type Statement,
  storageTable,
  type TableSpec,
  tableTtl,
  targetOf,
} from './ddl.ts';

/**
 * Versioned schema migrations, applied in order at start and recorded in schema_migrations.
 * A migration is never edited once released; a change is a new version. Tables are declarations
 * (core/ddl.ts) rendered for one node or for CLICKHOUSE_CLUSTER; their TTLs follow the configured
 * retention at every start (`reconcileRetention`), so a table created before a TTL existed, or under
 * other days, converges without a new version.
 * ReplacingMergeTree + insert deduplication tokens make every write idempotent; exact reads use FINAL.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly Statement[];
}

const dedupeWindow = 10_000;
const ts = "DateTime64(3, 'UTC')";

/** The migrations' own bookkeeping table, created before anything else. */
export const schemaMigrationsTable: TableSpec = {
  table: 'schema_migrations',
  columns: `version UInt32, name String, applied_at ${ts}`,
  engine: 'ReplacingMergeTree',
  orderBy: 'version',
  shardBy: 'version',
};

export const coreMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'events, exceptions, dead letters',
    statements: [
      {
        table: 'events',
        columns: `id String, type LowCardinality(String), occurred_at ${ts}, received_at ${ts},
        source LowCardinality(String), shipment_id String, warehouse_id String, customer_id String,
        lane String, late UInt8, payload String`,
        engine: 'ReplacingMergeTree',
        orderBy: '(type, id)',
        // Storage age, not event time: imported history is kept as long as live events.
        ttl: { column: 'received_at', retention: 'events' },
        dedupeWindow,
        shardBy: 'cityHash64(id)',
      },
      {
        table: 'exceptions',
        columns: `id String, type LowCardinality(String), status LowCardinality(String), severity LowCardinality(String),
        confidence Float64, detected_at ${ts}, occurred_at ${ts}, published_at ${ts},
        shipment_id String, warehouse_id String, customer_id String, customer_tier LowCardinality(String),
        lane String, sku String, evidence Array(String), details String,
        assigned_to String, assigned_at Nullable(${ts}), resolved_at Nullable(${ts}), resolution String,
        version UInt64`,
        engine: 'ReplacingMergeTree',
        engineArgs: ['version'],
        orderBy: 'id',
        // Every version of an exception keeps its first detected_at, so they expire together.
        ttl: { column: 'detected_at', retention: 'exceptions' },
        dedupeWindow,
        shardBy: 'cityHash64(id)',
      },
      {
        table: 'dead_letters',
        columns: `id String, received_at ${ts}, source LowCardinality(String), subject String,
        code LowCardinality(String), reason String, raw String`,
        engine: 'ReplacingMergeTree',
        orderBy: 'id',
        ttl: { column: 'received_at', retention: 'logs' },
        dedupeWindow,
        shardBy: 'cityHash64(id)',
      },
    ],
  },
  {
    version: 2,
    name: 'metric samples',
    statements: [
      {
        table: 'metric_samples',
        columns: `ts ${ts}, process String, name LowCardinality(String), labels Map(String, String), value Float64`,
        engine: 'MergeTree',
        orderBy: '(name, ts)',
        ttl: { column: 'ts', retention: 'logs' },
        shardBy: 'cityHash64(name)',
      },
    ],
  },
];

/**
 * Applies the core migrations plus each module's own (versions: core 1-9, forecasting 10-19,
 * exceptions 20-29, ingest 30-39, writeback 40-49, dashboards 50-59), in version order, then brings
 * their tables' TTLs to the target's retention. `target` is `config.clickhouse` (or a bare database).
 */
export async function migrate(
  store: Store,
  target: string | SchemaTarget,
  moduleMigrations: readonly Migration[] = [],
): Promise<number[]> {
  const t = targetOf(target);
  const db = t.database;
  for (const sql of renderStatement(schemaMigrationsTable, t)) await store.client.command({ query: sql });
  const done = new Set(
    (await queryRows<{ version: number }>(store, `SELECT version FROM ${db}.schema_migrations FINAL`)).map(
      (r) => Number(r.version),
    ),
  );
  const applied: number[] = [];
  const all = [...coreMigrations, ...moduleMigrations].sort((a, b) => a.version - b.version);
  for (const m of all) {
    if (done.has(m.version)) continue;
    for (const s of m.statements) {
      for (const sql of renderStatement(s, t)) await store.client.command({ query: sql });
    }
    await store.client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name, applied_at: chTime(Date.now()) }],
      format: 'JSONEachRow',
    });
    applied.push(m.version);
  }
  await reconcileRetention(
    store,
    t,
    all.flatMap((m) => m.statements.filter(isTable)),
  );
  return applied;
}

/**
 * Alters each table whose TTL differs from the days its class has in the target (classes the target
 * leaves out are skipped). Idempotent: an unchanged TTL is not touched, since a modified TTL rewrites
 * the table's parts. Returns the tables altered.
 */
export async function reconcileRetention(
  store: Store,
  target: string | SchemaTarget,
  tables: readonly TableSpec[],
): Promise<string[]> {
  const t = targetOf(target);
  // The last declaration of a table wins.
  const byName = new Map(tables.map((s) => [s.table, s]));
  const wanted = [...byName.values()].filter((s) => s.ttl && t.retainDays?.[s.ttl.retention] !== undefined);
  if (wanted.length === 0) return [];
  const rows = await queryRows<{ name: string; engine_full: string }>(
    store,
    'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
    { db: t.database, names: wanted.map((s) => storageTable(t, s.table)) },
  );
  const current = new Map(rows.map((r) => [r.name, tableTtl(r.engine_full)]));
  const altered: string[] = [];
  for (const s of wanted) {
    const name = storageTable(t, s.table);
    if (!current.has(name) || !s.ttl) continue;
    const days = retentionDays(t, s.ttl.retention);
    const now = current.get(name);
    if (days === 0 ? now === undefined : now?.column === s.ttl.column && now.days === days) continue;
    await store.client.command({ query: alterTtl(s, t, days) });
    altered.push(s.table);
  }
  return altered;
}
