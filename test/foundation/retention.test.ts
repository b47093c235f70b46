import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleMigrations } from '../../app/migrations.ts';
import {
  chTime,
  coreMigrations,
  isTable,
  loadConfig,
  migrate,
  openStore,
  queryRows,
  reconcileRetention,
  type Store,
} from '../../core/mod.ts';
import { applyRetention, currentRetention } from '../../writeback/audit/mod.ts';
import { tempDir } from '../helpers/env.ts';

/** ClickHouse TTLs from config, on embedded chDB: created, reconciled at every start, and enforced. */
const data = tempDir('retention');
let store: Store;
const modules = moduleMigrations;
const DAY = 86_400_000;

const createQuery = async (db: string, table: string) =>
  (
    await queryRows<{ q: string }>(
      store,
      'SELECT create_table_query AS q FROM system.tables WHERE database = {db:String} AND name = {table:String}',
      { db, table },
    )
  )[0]?.q ?? '';

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
});
afterAll(async () => {
  await store?.close();
  data.remove();
});

describe('ClickHouse retention', () => {
  it('creates events, exceptions and logs with the configured TTLs, and small reference tables without', async () => {
    const config = loadConfig({
      DOCKSIDE_DATA_DIR: data.dir,
      CLICKHOUSE_DATABASE: 'ret_a',
      DOCKSIDE_EVENTS_RETAIN_DAYS: '30',
      DOCKSIDE_EXCEPTIONS_RETAIN_DAYS: '400',
      DOCKSIDE_LOGS_RETAIN_DAYS: '14',
    });
    await store.client.command({ query: 'CREATE DATABASE IF NOT EXISTS ret_a' });
    expect(await migrate(store, config.clickhouse, modules)).toContain(40);
    const ttl = (column: string, days: number) => `TTL toDateTime(${column}) + toIntervalDay(${days})`;
    expect(await createQuery('ret_a', 'events')).toContain(ttl('received_at', 30));
    expect(await createQuery('ret_a', 'exceptions')).toContain(ttl('detected_at', 400));
    for (const [table, column] of [
      ['dead_letters', 'received_at'],
      ['late_events', 'arrived_at'],
      ['detector_metrics', 'at'],
      ['metric_samples', 'ts'],
      ['shadow_diffs', 'at'],
    ] as const) {
      expect(await createQuery('ret_a', table)).toContain(ttl(column, 14));
    }
    // The decision log starts at 365 days; write-back applies the policy's logging.retain_days.
    expect(await createQuery('ret_a', 'decision_log')).toContain(ttl('at', 365));
    for (const table of [
      'lane_daily_volume',
      'forecasts',
      'forecast_runs',
      'customers',
      'schema_migrations',
    ]) {
      const q = await createQuery('ret_a', table);
      expect(q).toMatch(/^CREATE TABLE ret_a\./);
      expect(q).not.toContain(' TTL ');
    }
  });

  it('brings an existing table to changed retention at the next start, once, and the policy sets the decision log', async () => {
    const base = { DOCKSIDE_DATA_DIR: data.dir, CLICKHOUSE_DATABASE: 'ret_a' };
    const changed = loadConfig({ ...base, DOCKSIDE_EVENTS_RETAIN_DAYS: '7', DOCKSIDE_LOGS_RETAIN_DAYS: '0' });
    expect(await migrate(store, changed.clickhouse, modules)).toEqual([]);
    expect(await createQuery('ret_a', 'events')).toContain('TTL toDateTime(received_at) + toIntervalDay(7)');
    // 0 keeps rows forever: the TTL is removed.
    expect(await createQuery('ret_a', 'dead_letters')).not.toContain(' TTL ');
    const tables = [...coreMigrations, ...modules].flatMap((m) => m.statements.filter(isTable));
    expect(await reconcileRetention(store, changed.clickhouse, tables)).toEqual([]);

    expect(await currentRetention(store, changed.clickhouse)).toBe(365);
    expect(await applyRetention(store, changed.clickhouse, 30)).toEqual({ changed: true, previous: 365 });
    expect(await applyRetention(store, changed.clickhouse, 30)).toEqual({ changed: false, previous: 30 });
    // A start with config alone leaves the policy's days alone.
    await migrate(store, changed.clickhouse, modules);
    expect(await currentRetention(store, changed.clickhouse)).toBe(30);
  });

  it('adds the TTL to tables created before retention existed', async () => {
    await store.client.command({ query: 'CREATE DATABASE IF NOT EXISTS ret_old' });
    // Version 1's events table as released before TTLs; a bare database name creates and reconciles no TTL.
    await store.client.command({
      query: `CREATE TABLE ret_old.events (id String, type LowCardinality(String), occurred_at DateTime64(3, 'UTC'),
        received_at DateTime64(3, 'UTC'), source LowCardinality(String), shipment_id String, warehouse_id String,
        customer_id String, lane String, late UInt8, payload String) ENGINE = ReplacingMergeTree ORDER BY (type, id)`,
    });
    await migrate(store, 'ret_old');
    expect(await createQuery('ret_old', 'events')).not.toContain(' TTL ');
    const config = loadConfig({ DOCKSIDE_DATA_DIR: data.dir, CLICKHOUSE_DATABASE: 'ret_old' });
    expect(await migrate(store, config.clickhouse)).toEqual([]);
    expect(await createQuery('ret_old', 'events')).toContain(
      'TTL toDateTime(received_at) + toIntervalDay(800)',
    );
  });

  it('drops rows older than the TTL when parts merge (OPTIMIZE … FINAL), and keeps the rest', async () => {
    const config = loadConfig({
      DOCKSIDE_DATA_DIR: data.dir,
      CLICKHOUSE_DATABASE: 'ret_b',
      DOCKSIDE_EVENTS_RETAIN_DAYS: '30',
    });
    await store.client.command({ query: 'CREATE DATABASE IF NOT EXISTS ret_b' });
    await migrate(store, config.clickhouse);
    const row = (id: string, ageDays: number) => ({
      id,
      type: 'scan',
      occurred_at: chTime(Date.now() - ageDays * DAY),
      received_at: chTime(Date.now() - ageDays * DAY),
      source: 'test',
      shipment_id: 's',
      warehouse_id: 'w',
      customer_id: 'c',
      lane: '',
      late: 0,
      payload: '{}',
    });
    await store.client.insert({
      table: 'ret_b.events',
      values: [row('old', 31), row('young', 29), row('new', 0)],
      format: 'JSONEachRow',
    });
    await store.client.command({ query: 'OPTIMIZE TABLE ret_b.events FINAL' });
    const ids = await queryRows<{ id: string }>(store, 'SELECT id FROM ret_b.events ORDER BY id');
    expect(ids.map((r) => r.id)).toEqual(['new', 'young']);
  });
});
