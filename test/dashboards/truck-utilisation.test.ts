import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleMigrations } from '../../app/migrations.ts';
import { chTime, loadConfig, migrate, openStore, parsePolicy, type Store } from '../../core/mod.ts';
import { computeKpis } from '../../dashboards/kpis.ts';
import type { EventRow } from '../../ingest/mod.ts';
import { tempDir } from '../helpers/env.ts';
import { TEMPLATE_POLICY } from '../helpers/writeback-world.ts';

/**
 * telemetry.kpis.truck_utilization_pct from actual loads (contract 1.1): a tender carrying `capacity`
 * is loaded with its shipments' `units` (1 for a shipment without), beside tenders carrying the older
 * capacityUsed / capacityAvailable pair (which wins when a tender has both). Real embedded ClickHouse.
 */
const data = tempDir('truck-utilisation');
let store: Store;
const now = Date.now();

function row(id: string, type: string, ms: number, payload: Record<string, unknown>, lane = ''): EventRow {
  return {
    id,
    type,
    occurred_at: chTime(ms),
    received_at: chTime(ms),
    source: 'test',
    shipment_id: typeof payload.shipmentId === 'string' ? payload.shipmentId : '',
    warehouse_id: 'W1',
    customer_id: 'c1',
    lane,
    late: 0,
    payload: JSON.stringify({ id, type, ...payload }),
  };
}
const committed = (shipment: string, ms: number, units?: number) =>
  row(`c-${shipment}-${ms}`, 'shipment.committed', ms, { shipmentId: shipment, units }, 'SP>RJ');
const tender = (
  id: string,
  loadId: string,
  ms: number,
  shipmentIds: string[],
  extra: Record<string, unknown> = {},
) => row(id, 'tms.tender', ms, { loadId, carrierId: 'CARR-1', shipmentIds, ...extra });

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  await migrate(store, 'dockside', moduleMigrations);
  const h = 3_600_000;
  await store.client.insert({
    table: store.table('events'),
    format: 'JSONEachRow',
    values: [
      // Committed two days ago (outside the KPI window: the units still count), S1 re-committed with 4 units.
      committed('S1', now - 48 * h, 3),
      committed('S1', now - 47 * h, 4),
      committed('S2', now - 48 * h, 6),
      committed('S3', now - 48 * h),
      // L-1: first tendered on a bigger truck, then on one of 20 units: 4 + 6 = 10 of 20.
      tender('t-1a', 'L-1', now - 3 * h, ['S1', 'S2'], { capacity: 40 }),
      tender('t-1b', 'L-1', now - 2 * h, ['S1', 'S2'], { capacity: 20 }),
      // L-2: S3 carries no units (1), and S4 was never committed (1): 2 of 10.
      tender('t-2', 'L-2', now - 2 * h, ['S3', 'S4'], { capacity: 10 }),
      // L-3: the producer's measured pair wins over capacity: 8 of 10.
      tender('t-3', 'L-3', now - h, ['S1'], { capacityUsed: 8, capacityAvailable: 10, capacity: 100 }),
      // L-4: no capacity at all, not measured.
      tender('t-4', 'L-4', now - h, ['S2']),
    ],
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
  data.remove();
});

describe('truck utilisation from units and capacity', () => {
  it('is Σ used / Σ available over the loads whose load is known', async () => {
    const policy = parsePolicy(readFileSync(TEMPLATE_POLICY, 'utf8'), TEMPLATE_POLICY);
    const answer = await computeKpis(store, policy, now);
    const k = answer.kpis.find((x) => x.name === 'truck_utilization_pct');
    // (10 + 2 + 8) / (20 + 10 + 10) = 50 %.
    expect(k?.value).toBe(50);
    expect(k?.detail).toMatch(/of 3 of 4 loads tendered/);
  });
});
