import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchWriter,
  type CanonicalEvent,
  createMetrics,
  findingsOf,
  parseEvent,
  partitionKey,
  partitionOf,
  queryRows,
} from '../../core/mod.ts';
import { type FindingRow, qualityReply } from '../../ingest/mod.ts';
import { exportBudgetGauges } from '../../ingest/quality-budget.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { tempDir } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * GET /api/quality's findings, feeds and alert budget, and the budget in /metrics, on a whole Dockside
 * (real NATS, embedded ClickHouse) fed through POST /api/events. Expected figures are counted here from the
 * events posted, not written down.
 */
const MIN_DELIVERIES = 3;
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
let n = 0;
const id = (kind: string) => `q-${kind}-${tag}-${++n}`;

const commit = (
  source: string,
  shipmentId: string,
  warehouseId: string,
  o: { inconsistent?: boolean } = {},
) =>
  parseEvent({
    id: id('commit'),
    type: 'shipment.committed',
    occurredAt: iso(now - 20 * 60_000),
    source,
    shipmentId,
    customerId: 'C-Q',
    customerTier: 'tier3',
    warehouseId,
    lane: 'ATL>NYC',
    // Deadlines hours ahead: no absence exception fires while the test runs.
    promisedShipBy: iso(now + 3 * 3_600_000),
    promisedDeliverBy: iso(now + (o.inconsistent ? 1 : 48) * 3_600_000),
  });
const pick = (shipmentId: string, warehouseId: string, picked: number) =>
  parseEvent({
    id: id('pick'),
    type: 'wms.pick',
    occurredAt: iso(now - 10 * 60_000),
    source: 'wms',
    shipmentId,
    warehouseId,
    sku: 'SKU-Q',
    qtyOrdered: 10,
    qtyPicked: picked,
  });
const delivered = (source: string, shipmentId: string) =>
  parseEvent({
    id: id('dlv'),
    type: 'tms.status',
    occurredAt: iso(now - 15 * 60_000),
    source,
    shipmentId,
    status: 'delivered',
  });
const pod = (source: string, shipmentId: string) =>
  parseEvent({ id: id('pod'), type: 'tms.pod', occurredAt: iso(now - 14 * 60_000), source, shipmentId });

const shp = (p: string, i: number) => `${p}-${tag}-${i}`;
const commits = [
  ...[0, 1, 2, 3].map((i) => commit('shop', shp('SHOP', i), 'WH-Q1')),
  ...[0, 1, 2].map((i) => commit('erp', shp('ERP', i), 'WH-Q2')),
];
const inconsistent = [
  commit('tms-a', shp('TA', 0), 'WH-Q1', { inconsistent: true }),
  commit('tms-a', shp('TA', 1), 'WH-Q1', { inconsistent: true }),
  commit('tms-b', shp('TB', 0), 'WH-Q2', { inconsistent: true }),
];
const picks = [
  pick(shp('SHOP', 0), 'WH-Q1', 7),
  pick(shp('SHOP', 1), 'WH-Q1', 2),
  pick(shp('SHOP', 2), 'WH-Q1', 10),
  pick(shp('ERP', 0), 'WH-Q2', 1),
];
const feeds = [
  ...[0, 1, 2].map((i) => delivered('nopod', shp('N', i))),
  ...[0, 1].map((i) => delivered('podder', shp('P', i))),
  pod('podder', shp('P', 1)),
  delivered('declared-x', shp('X', 0)),
  delivered('fresh', shp('F', 0)),
];

type Reply = ReturnType<typeof qualityReply.parse>;
const str = (e: CanonicalEvent, k: string) => String((e as Record<string, unknown>)[k]);

/** short_pick exceptions and committed shipments per source and per warehouse, from the events above. */
function independentBudget() {
  const all = [...commits, ...inconsistent];
  const commitOf = new Map(all.map((c) => [str(c, 'shipmentId'), c]));
  const shortPicks = picks.filter((p) => Number(str(p, 'qtyPicked')) < Number(str(p, 'qtyOrdered')));
  const tally = (keys: string[]) => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  return {
    source: {
      exceptions: tally(
        shortPicks.map((p) => str(commitOf.get(str(p, 'shipmentId')) as CanonicalEvent, 'source')),
      ),
      shipments: tally(all.map((c) => str(c, 'source'))),
    },
    warehouse: {
      exceptions: tally(shortPicks.map((p) => str(p, 'warehouseId'))),
      shipments: tally(all.map((c) => str(c, 'warehouseId'))),
    },
  };
}

let t: TestDockside;
const dir = tempDir('quality-feeds');
beforeAll(async () => {
  const feedsFile = path.join(dir.dir, 'feeds.yaml');
  writeFileSync(
    feedsFile,
    `sources:\n  declared-x: { pod: false }\nlearn:\n  min_deliveries: ${MIN_DELIVERIES}\n`,
  );
  t = await startTestDockside('quality', { DOCKSIDE_FEEDS_FILE: feedsFile });
  const res = await t.inject({
    method: 'POST',
    url: '/api/events',
    payload: [...commits, ...inconsistent, ...feeds],
  });
  expect(res.statusCode).toBe(200);
  // Picks after the commitments are in: each short pick knows its shipment's commitment.
  await waitFor('the commitments stored', async () => {
    const [r] = await queryRows<{ n: string }>(
      t.dockside.store,
      `SELECT count() AS n FROM ${t.dockside.store.table('events')} FINAL WHERE type = 'shipment.committed'`,
    );
    return Number(r?.n) === commits.length + inconsistent.length ? true : undefined;
  });
  expect((await t.inject({ method: 'POST', url: '/api/events', payload: picks })).statusCode).toBe(200);
});
afterAll(async () => {
  await t?.close();
  dir.remove();
});

const quality = async (query = ''): Promise<Reply> => {
  const r = await t.inject({ url: `/api/quality${query}` });
  expect(r.statusCode).toBe(200);
  // The answer is what the documented schema says.
  return qualityReply.parse(r.json());
};

describe('GET /api/quality: feeds', () => {
  it('reports a feed with deliveries and no POD as none/off, one with PODs as sends/on, a declared one as declared', async () => {
    const q = await waitFor('four feeds reported', async () => {
      const r = await quality();
      return r.feeds.filter((f) => f.deliveries > 0).length === 4 ? r : undefined;
    });
    const by = Object.fromEntries(q.feeds.map((f) => [f.source, f]));
    expect(by.nopod).toMatchObject({
      deliveries: 3,
      pods: 0,
      state: 'none',
      missingPod: 'off',
      declared: false,
    });
    expect(by.nopod?.text).toBe('source nopod sends no PODs: missing_pod is off for it');
    expect(by.podder).toMatchObject({ deliveries: 2, pods: 1, state: 'sends', missingPod: 'on' });
    expect(by.podder?.text).toBe('source podder sends PODs: missing_pod is on for it');
    expect(by['declared-x']).toMatchObject({ declared: true, declaredPod: false, missingPod: 'off' });
    expect(by['declared-x']?.text).toBe(
      'source declared-x sends no PODs (declared in DOCKSIDE_FEEDS_FILE): missing_pod is off for it',
    );
    expect(by.fresh).toMatchObject({ deliveries: 1, state: 'unknown', missingPod: 'off' });
  });
});

describe('GET /api/quality: findings', () => {
  it('records an inconsistent commitment as one finding per event, counted per source, with the latest reason', async () => {
    const q = await waitFor('findings of tms-a and tms-b', async () => {
      const r = await quality();
      return r.findings.length >= 2 ? r : undefined;
    });
    const by = Object.fromEntries(q.findings.map((f) => [f.source, f]));
    expect(q.findings.map((f) => `${f.source}:${f.code}:${f.count}`)).toEqual([
      'tms-a:COMMITMENT_INCONSISTENT:2',
      'tms-b:COMMITMENT_INCONSISTENT:1',
    ]);
    const latest = inconsistent.find((e) => e.id === by['tms-a']?.latestEventId);
    expect(latest?.source).toBe('tms-a');
    expect(by['tms-a']?.latestReason).toBe(findingsOf(latest as CanonicalEvent)[0]?.reason);
    expect(by['tms-a']?.latestReason).toMatch(
      /^promisedDeliverBy .* is before promisedShipBy .*; both promises/,
    );
    // `since` after they arrived: none.
    expect((await quality(`?since=${encodeURIComponent(iso(Date.now() + 60_000))}`)).findings).toEqual([]);
  });

  it('a redelivered event is still one finding row; a batch inserted again is dropped by its dedup token', async () => {
    const store = t.dockside.store;
    const event = inconsistent[2] as CanonicalEvent;
    // A second copy on the events stream, without the dedupe id: the sink sees the event twice.
    const js = jetstream(t.dockside.nc);
    const partition = partitionOf(partitionKey(event), t.dockside.config.partitions);
    await js.publish(t.dockside.names.eventSubject(partition, event.type), JSON.stringify(event));
    await waitFor('both copies stored in events', async () => {
      const [r] = await queryRows<{ n: string }>(
        store,
        `SELECT count() AS n FROM ${store.table('events')} WHERE id = {id:String}`,
        { id: event.id },
      );
      return Number(r?.n) === 2 ? true : undefined;
    });
    const [f] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.table('quality_findings')} FINAL WHERE event_id = {id:String}`,
      { id: event.id },
    );
    expect(Number(f?.n)).toBe(1);
    expect((await quality()).findings.find((g) => g.source === 'tms-b')?.count).toBe(1);

    // The same messages' batch inserted twice (an unacked batch redelivered whole): ClickHouse keeps one.
    const writer = new BatchWriter<FindingRow>(store, store.table('quality_findings'), {
      maxRows: 100,
      intervalMs: 10,
    });
    const row: FindingRow = {
      event_id: `again-${tag}`,
      source: 'again',
      code: 'COMMITMENT_INCONSISTENT',
      field: 'promisedDeliverBy',
      value: iso(now),
      reason: 'r',
      occurred_at: iso(now).replace('T', ' ').replace('Z', ''),
      received_at: iso(now).replace('T', ' ').replace('Z', ''),
    };
    await writer.write([row], 'EVENTS#999999');
    await writer.write([row], 'EVENTS#999999');
    await writer.close();
    const [raw] = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${store.table('quality_findings')} WHERE event_id = {id:String}`,
      { id: row.event_id },
    );
    expect(Number(raw?.n)).toBe(1);
  });
});

describe('GET /api/quality: alert budget, and in /metrics', () => {
  const expected = independentBudget();

  it('per source and per warehouse, exceptions per 100 committed shipments equal a count of the events posted', async () => {
    const want = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const q = await waitFor('every short pick in the budget', async () => {
      const r = await quality();
      const got = r.alertBudget.bySource.filter((x) => x.type === 'short_pick');
      return got.reduce((a, x) => a + x.exceptions, 0) === want(expected.source.exceptions) ? r : undefined;
    });
    const bySource = q.alertBudget.bySource
      .filter((r) => r.type === 'short_pick')
      .map((r) => ({ key: r.source, ...r }));
    const byWarehouse = q.alertBudget.byWarehouse
      .filter((r) => r.type === 'short_pick')
      .map((r) => ({ key: r.warehouse, ...r }));
    for (const [rows, exp] of [
      [bySource, expected.source],
      [byWarehouse, expected.warehouse],
    ] as const) {
      expect(rows.map((r) => r.key).sort()).toEqual([...exp.exceptions.keys()].sort());
      for (const r of rows) {
        const ex = exp.exceptions.get(r.key) ?? 0;
        const sh = exp.shipments.get(r.key) ?? 0;
        expect({ key: r.key, exceptions: r.exceptions, shipments: r.shipments }).toEqual({
          key: r.key,
          exceptions: ex,
          shipments: sh,
        });
        expect(r.per100).toBeCloseTo((100 * ex) / sh, 9);
      }
    }
    // Highest rate first.
    const rates = q.alertBudget.bySource.map((r) => r.per100 ?? -1);
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
    expect(Date.parse(q.alertBudget.window.to ?? '')).toBe(Date.parse(iso(now - 10 * 60_000)));

    // The same figures in /metrics, by type and source and by type and warehouse.
    const text = (await t.inject({ url: '/metrics' })).body;
    const gauge = (labels: string) =>
      Number(
        new RegExp(`^dockside_exceptions_per_100_shipments\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1],
      );
    for (const [source, ex] of expected.source.exceptions) {
      const sh = expected.source.shipments.get(source) ?? 0;
      expect(gauge(`type="short_pick",source="${source}"`)).toBeCloseTo((100 * ex) / sh, 6);
    }
    for (const [wh, ex] of expected.warehouse.exceptions) {
      const sh = expected.warehouse.shipments.get(wh) ?? 0;
      expect(gauge(`type="short_pick",warehouse="${wh}"`)).toBeCloseTo((100 * ex) / sh, 6);
    }
  });

  it('a scrape refreshes the gauges itself, without GET /api/quality', async () => {
    const metrics = createMetrics();
    exportBudgetGauges({
      store: t.dockside.store,
      metrics,
      warn: (err) => expect(err).toBeUndefined(),
      maxAgeMs: 0,
    });
    const text = await metrics.registry.metrics();
    const [shop] = [...expected.source.exceptions.entries()].filter(([s]) => s === 'shop');
    expect(shop).toBeDefined();
    const line = /dockside_exceptions_per_100_shipments\{type="short_pick",source="shop"\} (\S+)/.exec(text);
    expect(Number(line?.[1])).toBeCloseTo(
      (100 * (shop?.[1] ?? 0)) / (expected.source.shipments.get('shop') ?? 1),
      6,
    );
  });
});
