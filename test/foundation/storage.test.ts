import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchWriter, loadConfig, migrate, openStore, queryRows, type Store } from '../../core/mod.ts';
import { tempDir } from '../helpers/env.ts';

const data = tempDir('store');
let store: Store;
const db = 'dockside';

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
});
afterAll(async () => {
  await store?.close();
  data.remove();
});

describe('embedded ClickHouse through @clickhouse/client', () => {
  it('applies versioned migrations once, and records them', async () => {
    const first = await migrate(store, db);
    expect(first).toEqual([1, 2]);
    expect(await migrate(store, db)).toEqual([]);
    const extra = {
      version: 99,
      name: 'test table',
      statements: [
        'CREATE TABLE IF NOT EXISTS {db}.t99 (id String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100',
      ],
    };
    expect(await migrate(store, db, [extra])).toEqual([99]);
    const rows = await queryRows<{ version: number; name: string }>(
      store,
      `SELECT version, name FROM ${db}.schema_migrations FINAL ORDER BY version`,
    );
    expect(rows.map((r) => Number(r.version))).toEqual([1, 2, 99]);
  });

  it('batches inserts, and a retried identical batch is not applied twice', async () => {
    const writer = new BatchWriter<{ id: string }>(store, `${db}.t99`, { maxRows: 1_000, intervalMs: 20 });
    const batch = Array.from({ length: 50 }, (_, i) => ({ id: `r${i}` }));
    await Promise.all([writer.write(batch.slice(0, 25)), writer.write(batch.slice(25))]);
    await writer.write(batch); // a redelivery of the same rows as one batch
    await writer.write(batch);
    await writer.close();
    const [count] = await queryRows<{ n: string }>(store, `SELECT count() AS n FROM ${db}.t99`);
    // The first two writes coalesced into one batch of the same 50 rows: both retries carry its token.
    expect(Number(count?.n)).toBe(50);
    await new BatchWriter<{ id: string }>(store, `${db}.t99`, { maxRows: 1, intervalMs: 20 }).write([
      { id: 'new' },
    ]);
    const [after] = await queryRows<{ n: string }>(store, `SELECT count() AS n FROM ${db}.t99`);
    expect(Number(after?.n)).toBe(51);
    await expect(writer.write([{ id: 'late' }])).rejects.toThrow(/closed/);
  });

  it('keeps the latest version of an exception with ReplacingMergeTree and FINAL', async () => {
    const t = `${db}.exceptions`;
    const row = (version: number, status: string) => ({
      id: 'ex-1',
      type: 'late_scan',
      status,
      severity: 'high',
      confidence: 0.9,
      detected_at: '2026-01-01 00:00:00.000',
      occurred_at: '2026-01-01 00:00:00.000',
      published_at: '2026-01-01 00:00:00.000',
      shipment_id: 's',
      warehouse_id: 'w',
      customer_id: 'c',
      customer_tier: 'tier1',
      lane: 'A>B',
      sku: '',
      evidence: ['e'],
      details: '{}',
      assigned_to: '',
      assigned_at: null,
      resolved_at: null,
      resolution: '',
      version,
    });
    await store.client.insert({ table: t, values: [row(3e13, 'resolved')], format: 'JSONEachRow' });
    await store.client.insert({ table: t, values: [row(1e13, 'open')], format: 'JSONEachRow' });
    const rows = await queryRows<{ status: string }>(
      store,
      `SELECT status FROM ${t} FINAL WHERE id = 'ex-1'`,
    );
    expect(rows).toEqual([{ status: 'resolved' }]);
  });
});
