import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleMigrations } from '../../app/migrations.ts';
import {
  alterTtl,
  ConfigError,
  coreMigrations,
  isTable,
  loadConfig,
  type Migration,
  openStore,
  renderStatement,
  type SchemaTarget,
  type Store,
  schemaMigrationsTable,
  type TableSpec,
} from '../../core/mod.ts';
import { tempDir } from '../helpers/env.ts';

/**
 * The clustered layout (CLICKHOUSE_CLUSTER) cannot run here: no Keeper, no remote servers. So every table's
 * clustered DDL is checked as text against the single-node DDL that does run (foundation/retention and
 * storage tests), and every generated statement is parsed by ClickHouse itself (`EXPLAIN AST`, which
 * parses without executing) on chDB.
 */
const migrations: readonly Migration[] = [...coreMigrations, ...moduleMigrations];
const tables: TableSpec[] = [
  schemaMigrationsTable,
  ...migrations.flatMap((m) => m.statements.filter(isTable)),
];
const single: SchemaTarget = { database: 'dockside' };
const cluster: SchemaTarget = { database: 'dockside', cluster: 'dockside_cluster' };

/** A clause of a rendered CREATE TABLE, after its column list. */
function clause(sql: string, name: 'PARTITION BY' | 'ORDER BY' | 'TTL' | 'SETTINGS'): string | undefined {
  const tail = sql.slice(sql.lastIndexOf(') ENGINE = '));
  return new RegExp(` ${name} (.*?)(?= PARTITION BY | ORDER BY | TTL | SETTINGS |$)`, 's').exec(tail)?.[1];
}

/** ClickHouse's parse tree of a statement, as text; parsing only, nothing is executed. */
async function explainAst(sql: string): Promise<string> {
  const rs = await store.client.query({ query: `EXPLAIN AST ${sql}`, format: 'TabSeparatedRaw' });
  return rs.text();
}

const data = tempDir('cluster-ddl');
let store: Store;
beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
});
afterAll(async () => {
  await store?.close();
  data.remove();
});

describe('clustered DDL (CLICKHOUSE_CLUSTER)', () => {
  it('declares every table of every module, each once', () => {
    const names = tables.map((t) => t.table);
    expect(new Set(names).size).toBe(names.length);
    for (const t of ['events', 'exceptions', 'dead_letters', 'decision_log', 'customers', 'forecasts'])
      expect(names).toContain(t);
  });

  it.each(tables.map((t) => [t.table, t] as const))(
    '%s: a Replicated table ON CLUSTER with the same keys and TTL, and a Distributed table named as before',
    (name, spec) => {
      const [one, ...none] = renderStatement(spec, single);
      const [local, distributed, ...rest] = renderStatement(spec, cluster);
      expect(none).toEqual([]);
      expect(rest).toEqual([]);
      if (!one || !local || !distributed) throw new Error(`${name}: nothing rendered`);

      expect(one).toMatch(new RegExp(`^CREATE TABLE IF NOT EXISTS dockside\\.${name} \\(`));
      expect(one).not.toMatch(/ON CLUSTER|Replicated/);
      expect(local).toMatch(
        new RegExp(`^CREATE TABLE IF NOT EXISTS dockside\\.${name}_local ON CLUSTER 'dockside_cluster' \\(`),
      );
      const args = (spec.engineArgs ?? []).map((a) => `, ${a}`).join('');
      const plain = args ? `${spec.engine}(${args.slice(2)})` : spec.engine;
      expect(one).toContain(`) ENGINE = ${plain} `);
      expect(local).toContain(
        `) ENGINE = Replicated${spec.engine}('/clickhouse/tables/{shard}/{database}/${name}_local', '{replica}'${args}) `,
      );
      // Same columns, sort key, partitioning and TTL on both layouts.
      expect(local.slice(local.indexOf(' ('), local.lastIndexOf(') ENGINE'))).toBe(
        one.slice(one.indexOf(' ('), one.lastIndexOf(') ENGINE')),
      );
      for (const c of ['PARTITION BY', 'ORDER BY', 'TTL'] as const)
        expect(clause(local, c)).toBe(clause(one, c));
      expect(clause(one, 'ORDER BY')).toBe(spec.orderBy);
      if (spec.ttl)
        expect(clause(one, 'TTL')).toMatch(
          new RegExp(`^toDateTime\\(${spec.ttl.column}\\) \\+ INTERVAL \\d+ DAY$`),
        );
      // The insert-dedupe window is the replicated setting on a cluster.
      if (spec.dedupeWindow !== undefined) {
        expect(clause(one, 'SETTINGS')).toBe(`non_replicated_deduplication_window = ${spec.dedupeWindow}`);
        expect(clause(local, 'SETTINGS')).toBe(`replicated_deduplication_window = ${spec.dedupeWindow}`);
      }

      expect(distributed).toBe(
        `CREATE TABLE IF NOT EXISTS dockside.${name} ON CLUSTER 'dockside_cluster' AS dockside.${name}_local ` +
          `ENGINE = Distributed('dockside_cluster', 'dockside', '${name}_local', ${spec.shardBy})`,
      );
      // Rows ReplacingMergeTree merges must meet on one shard: the sharding key hashes sort-key columns only.
      const shardColumns = /^cityHash64\((.+)\)$/.exec(spec.shardBy)?.[1]?.split(/,\s*/) ?? [spec.shardBy];
      for (const c of shardColumns) expect(spec.orderBy.replace(/[()]/g, '').split(/,\s*/)).toContain(c);
    },
  );

  it('points the materialised view at the local tables, and keeps the backfill on the Distributed ones', () => {
    const v10 = moduleMigrations.find((m) => m.version === 10);
    const sql = (v10?.statements ?? []).flatMap((s) => renderStatement(s, cluster));
    const view = sql.find((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(view).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS dockside\.lane_daily_volume_mv ON CLUSTER 'dockside_cluster' TO dockside\.lane_daily_volume_local AS SELECT .* FROM dockside\.events_local\s/s,
    );
    const backfill = sql.find((s) => s.startsWith('INSERT'));
    expect(backfill).toMatch(/^INSERT INTO dockside\.lane_daily_volume SELECT .* FROM dockside\.events\s/s);
    const plain = (v10?.statements ?? []).flatMap((s) => renderStatement(s, single));
    expect(plain.find((s) => s.startsWith('CREATE MATERIALIZED VIEW'))).toMatch(
      /TO dockside\.lane_daily_volume AS SELECT .* FROM dockside\.events\s/s,
    );
  });

  it('renders configured retention into the TTL, and alters the local table ON CLUSTER', () => {
    const events = tables.find((t) => t.table === 'events') as TableSpec;
    const [local] = renderStatement(events, { ...cluster, retainDays: { events: 7 } });
    expect(clause(local ?? '', 'TTL')).toBe('toDateTime(received_at) + INTERVAL 7 DAY');
    const [forever] = renderStatement(events, { ...single, retainDays: { events: 0 } });
    expect(forever).not.toContain(' TTL ');
    expect(alterTtl(events, cluster, 30)).toBe(
      "ALTER TABLE dockside.events_local ON CLUSTER 'dockside_cluster' MODIFY TTL toDateTime(received_at) + INTERVAL 30 DAY",
    );
    expect(alterTtl(events, cluster, 0)).toBe(
      "ALTER TABLE dockside.events_local ON CLUSTER 'dockside_cluster' REMOVE TTL",
    );
    expect(() => renderStatement(events, { ...single, retainDays: { events: -1 } })).toThrow(
      /retention of received_at: got -1, expected a whole number of days >= 0/,
    );
  });

  it('every generated statement of both layouts parses in ClickHouse (EXPLAIN AST)', async () => {
    const all = [
      ...renderStatement(schemaMigrationsTable, cluster),
      ...migrations.flatMap((m) => m.statements.flatMap((s) => renderStatement(s, cluster))),
      ...migrations.flatMap((m) => m.statements.flatMap((s) => renderStatement(s, single))),
      ...tables.filter((t) => t.ttl).flatMap((t) => [alterTtl(t, cluster, 30), alterTtl(t, cluster, 0)]),
    ];
    expect(all.length).toBeGreaterThan(3 * tables.length);
    for (const sql of all) {
      const ast = await explainAst(sql).catch((err: unknown) => {
        throw new Error(`does not parse: ${sql}\n${String(err)}`);
      });
      expect(ast).toMatch(/^\W*(CreateQuery|AlterQuery|InsertQuery) /);
    }
    // The check has teeth: a broken statement is refused by the parser.
    await expect(explainAst("CREATE TABLE t (id String) ENGINE = X('a' ORDER BY id")).rejects.toThrow(
      /Syntax error/,
    );
  });

  it('is configured by CLICKHOUSE_CLUSTER, which needs a server', () => {
    const c = loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'dockside_cluster' });
    expect(c.clickhouse).toMatchObject({ mode: 'server', cluster: 'dockside_cluster', database: 'dockside' });
    expect(c.clickhouse.retainDays).toEqual({ events: 800, exceptions: 365, logs: 90 });
    expect(loadConfig({}).clickhouse.cluster).toBeUndefined();
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'dockside_cluster' })).toThrow(ConfigError);
    expect(() => loadConfig({ CLICKHOUSE_CLUSTER: 'dockside_cluster' })).toThrow(
      /^CLICKHOUSE_CLUSTER="dockside_cluster" is invalid: expected CLICKHOUSE_URL set too/,
    );
    expect(() => loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: "x'; DROP" })).toThrow(
      /CLICKHOUSE_CLUSTER="x'; DROP" is invalid: expected a cluster name/,
    );
    expect(() => loadConfig({ DOCKSIDE_EVENTS_RETAIN_DAYS: '-3' })).toThrow(
      /DOCKSIDE_EVENTS_RETAIN_DAYS="-3" is invalid/,
    );
  });
});
