import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { moduleMigrations } from '../../app/migrations.ts';
import {
  chTime,
  createLogger,
  loadConfig,
  migrate,
  openStore,
  parsePolicy,
  type Store,
} from '../../core/mod.ts';
import { computeKpis } from '../../dashboards/kpis.ts';
import { dayOf, formatDay, msFromDay } from '../../forecasting/days.ts';
import {
  checkAccuracyAlert,
  forecastReplySchemas,
  LIVE_MAX_STEP,
  LIVE_WINDOW_DAYS,
  liveAccuracy,
  registerForecastRoutes,
  registerLiveAccuracyMetrics,
} from '../../forecasting/mod.ts';
import { type ForecastRow, writeRun } from '../../forecasting/store.ts';
import type { EventRow } from '../../ingest/mod.ts';
import { tempDir } from '../helpers/env.ts';

/**
 * Live forecast accuracy on a real embedded ClickHouse: forecasts are stored first, their actuals
 * (commitment events) arrive later, and the score, the KPI, the /metrics gauges and the alert equal a
 * computation made here from the same numbers; so does the served-vs-peer comparison. Then the warehouse and network levels of the forecast API.
 */
const data = tempDir('live-accuracy');
const logger = createLogger({ logLevel: 'silent' });
let store: Store;
let app: FastifyInstance;

const TODAY = dayOf('2025-03-20');
const NOW = msFromDay(TODAY) + 10 * 3_600_000;
const FIRST_ORIGIN = TODAY - 40;
const HORIZON = 10;
const LANES = [
  { lane: 'SP>RJ', split: [['W1', 1]] },
  {
    lane: 'SP>MG',
    split: [
      ['W1', 0.7],
      ['W2', 0.3],
    ],
  },
  { lane: 'RJ>SP', split: [['W2', 1]] },
] as const;

/** Actual shipments of lane i on day d (zero on some days, so MAPE skips them). */
const actual = (i: number, d: number) => ((d * 7 + i) % 11 === 0 ? 0 : (i + 1) * 4 + ((d + i) % 5));
/** The served forecast of lane i for day `origin + step - 1`, by run version (a later run of a day differs). */
const served = (i: number, origin: number, step: number, version: number) =>
  (i + 1) * 4 + 2 + 0.25 * step + ((origin % 3) - 1) * 0.5 + version * 3;

function runRows(origin: number, version: number): ForecastRow[] {
  return LANES.flatMap(({ lane }, i) =>
    ['ensemble', 'naive'].map((model) => ({
      lane,
      warehouse: '',
      model,
      origin,
      // The naive rows are far off: only the served model may count.
      mean: Array.from({ length: HORIZON }, (_, s) =>
        model === 'ensemble' ? served(i, origin, s + 1, version) : 1000,
      ),
      intervals: [
        {
          level: 80,
          lower: Array.from({ length: HORIZON }, (_, s) => served(i, origin, s + 1, version) - 2),
          upper: Array.from({ length: HORIZON }, (_, s) => served(i, origin, s + 1, version) + 3),
        },
      ],
    })),
  );
}

async function storeRun(id: string, origin: number, createdAt: number, version: number): Promise<void> {
  await writeRun(
    store,
    {
      runId: id,
      createdAt,
      measure: 'committed',
      origin,
      horizon: HORIZON,
      lanes: LANES.length,
      served: 'ensemble',
      models: ['ensemble', 'naive'],
      levels: [80],
      params: {},
    },
    runRows(origin, version),
    [],
    [],
  );
}

/** Which run version is the last of each origin day: the day TODAY-10 has a second, later run. */
const lastVersion = (origin: number) => (origin === TODAY - 10 ? 1 : 0);

function committed(i: number, day: number, k: number, warehouse: string): EventRow {
  const at = chTime(msFromDay(day) + 36_000_000 + k * 1000);
  const id = `e-${i}-${day}-${k}`;
  const lane = LANES[i]?.lane ?? '';
  return {
    id,
    type: 'shipment.committed',
    occurred_at: at,
    received_at: at,
    source: 'test',
    shipment_id: `s-${i}-${day}-${k}`,
    warehouse_id: warehouse,
    customer_id: 'c1',
    lane,
    late: 0,
    payload: JSON.stringify({ id, type: 'shipment.committed', shipmentId: `s-${i}-${day}-${k}`, lane }),
  };
}

/** Shipments of lane i on a day at each warehouse: the first round(share · n) at the first warehouse. */
function atWarehouses(i: number, n: number): [string, number][] {
  const split = LANES[i]?.split ?? [];
  if (split.length === 1) return [[split[0]?.[0] ?? '', n]];
  const first = Math.round((split[0]?.[1] ?? 0) * n);
  return [
    [split[0]?.[0] ?? '', first],
    [split[1]?.[0] ?? '', n - first],
  ];
}

/** The expected score, computed from the definitions (not from the module's code). */
function expected() {
  const lanes = LANES.map((_, i) => {
    let absErr = 0;
    let sumA = 0;
    const ratios: number[] = [];
    for (let d = TODAY - LIVE_WINDOW_DAYS; d < TODAY; d++) {
      for (let step = 1; step <= LIVE_MAX_STEP; step++) {
        const origin = d - step + 1;
        if (origin < FIRST_ORIGIN) continue;
        const f = served(i, origin, step, lastVersion(origin));
        const a = actual(i, d);
        absErr += Math.abs(a - f);
        sumA += a;
        if (a > 0) ratios.push(Math.abs(a - f) / a);
      }
    }
    return { absErr, sumA, mape: ratios.reduce((s, x) => s + x, 0) / ratios.length };
  });
  const mapes = lanes.map((l) => l.mape).sort((a, b) => a - b);
  return {
    lanes,
    networkMape: mapes[1] as number,
    networkWape: lanes.reduce((s, l) => s + l.absErr, 0) / lanes.reduce((s, l) => s + l.sumA, 0),
  };
}

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  await migrate(store, { database: 'dockside', retainDays: { events: 0 } }, moduleMigrations);
  for (let origin = FIRST_ORIGIN; origin <= TODAY; origin++) {
    await storeRun(`run-${origin}`, origin, msFromDay(origin) + 3_600_000, 0);
  }
  // A second run on one day, later than the first: it is the one scored for that origin.
  await storeRun(`run-${TODAY - 10}-b`, TODAY - 10, msFromDay(TODAY - 10) + 7_200_000, 1);
  app = Fastify();
  registerForecastRoutes(app, { store, logger, now: () => NOW });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  data.remove();
});

const policy = (threshold: number) =>
  parsePolicy(
    [
      'version: 1',
      'policy_name: live-accuracy',
      'telemetry:',
      '  kpis:',
      '    - name: forecast_mape',
      `      threshold_alert: ${threshold}`,
    ].join('\n'),
    'live-accuracy.yaml',
  );

describe('live forecast accuracy', () => {
  it('has no score while the actuals of the forecast days have not arrived', async () => {
    const live = await liveAccuracy(store, { measure: 'committed', nowMs: NOW });
    expect(live?.lanes.map((l) => [l.lane, l.mape, l.wape])).toEqual([
      ['RJ>SP', null, null],
      ['SP>MG', null, null],
      ['SP>RJ', null, null],
    ]);
    const kpi = (await computeKpis(store, policy(0.05), NOW)).kpis.find((k) => k.name === 'forecast_mape');
    expect(kpi?.value).toBeNull();
    expect(kpi?.reason).toMatch(/no forecast backtest stored yet/);
    expect(
      await checkAccuracyAlert(store, { measure: 'committed', threshold: 0.05, nowMs: NOW }),
    ).toBeUndefined();
  });

  it('scores the stored forecasts once their actuals arrive, as computed independently', async () => {
    const rows: EventRow[] = [];
    // Actuals from before the first origin to today (today is not over: it must not count).
    for (let d = FIRST_ORIGIN - 30; d <= TODAY; d++) {
      LANES.forEach((_, i) => {
        let k = 0;
        for (const [warehouse, n] of atWarehouses(i, actual(i, d) + (d === TODAY ? 50 : 0))) {
          for (let j = 0; j < n; j++) rows.push(committed(i, d, k++, warehouse));
        }
      });
    }
    await store.client.insert({ table: store.table('events'), values: rows, format: 'JSONEachRow' });
    const want = expected();
    const live = await liveAccuracy(store, { measure: 'committed', nowMs: NOW });
    expect(live).toMatchObject({ from: formatDay(TODAY - 28), to: formatDay(TODAY - 1), maxStep: 7 });
    const byLane = new Map(live?.lanes.map((l) => [l.lane, l]));
    LANES.forEach(({ lane }, i) => {
      const got = byLane.get(lane);
      const w = want.lanes[i] as (typeof want.lanes)[number];
      expect(got?.mape, lane).toBeCloseTo(w.mape, 10);
      expect(got?.wape, lane).toBeCloseTo(w.absErr / w.sumA, 10);
      expect(got?.points, lane).toBe(LIVE_WINDOW_DAYS * LIVE_MAX_STEP);
    });
    expect(live?.network.mape).toBeCloseTo(want.networkMape, 10);
    expect(live?.network.wape).toBeCloseTo(want.networkWape, 10);

    const kpi = (await computeKpis(store, policy(0.05), NOW)).kpis.find((k) => k.name === 'forecast_mape');
    expect(kpi?.value).toBe(Number(want.networkMape.toFixed(4)));
    expect(kpi?.crossed).toBe(true);
    expect(kpi?.detail).toMatch(/^live: median over 3 lanes of MAPE, forecasts 1–7 days ahead/);
    expect(kpi?.sparkline.at(-1)?.value).toBe(Number(want.networkMape.toFixed(4)));
  });

  it('compares the served forecast with each stored peer on the same points (GET /api/forecasts/live)', async () => {
    const want = expected();
    // The naive rows say 1000 every day: their error, from the definitions.
    const naive = LANES.map((_, i) => {
      let abs = 0;
      for (let d = TODAY - LIVE_WINDOW_DAYS; d < TODAY; d++)
        for (let step = 1; step <= LIVE_MAX_STEP; step++)
          if (d - step + 1 >= FIRST_ORIGIN) abs += Math.abs(actual(i, d) - 1000);
      return abs;
    });
    const res = await app.inject({ method: 'GET', url: '/api/forecasts/live' });
    expect(res.statusCode, res.body).toBe(200);
    const body = forecastReplySchemas.liveReply.parse(res.json());
    expect(body.window).toEqual({ from: formatDay(TODAY - 28), to: formatDay(TODAY - 1), maxStep: 7 });
    expect(body.peers).toEqual(['naive']);
    const sumA = want.lanes.reduce((s, l) => s + l.sumA, 0);
    const naiveWape = naive.reduce((s, x) => s + x, 0) / sumA;
    expect(body.network?.served).toBeCloseTo(want.networkWape, 10);
    expect(body.network?.peers[0]?.wape).toBeCloseTo(naiveWape, 10);
    expect(body.network?.bestPeer).toBe('naive');
    expect(body.network?.servedVsBestPeer).toBeCloseTo(1 - want.networkWape / naiveWape, 10);
    expect(body.network).toMatchObject({ lanes: 3, lanesServedBetter: 3, points: 3 * 28 * 7 });
    // The served 80 % band is mean −2..+3: its coverage, from the definitions.
    let inside = 0;
    let of = 0;
    LANES.forEach((_, i) => {
      for (let d = TODAY - LIVE_WINDOW_DAYS; d < TODAY; d++)
        for (let step = 1; step <= LIVE_MAX_STEP; step++) {
          const origin = d - step + 1;
          if (origin < FIRST_ORIGIN) continue;
          const f = served(i, origin, step, lastVersion(origin));
          const a = actual(i, d);
          of++;
          if (a >= f - 2 && a <= f + 3) inside++;
        }
    });
    expect(inside).toBeGreaterThan(0);
    expect(inside).toBeLessThan(of);
    expect(body.network?.coverage['80']).toBeCloseTo(inside / of, 12);
    const lane = body.data.find((l) => l.lane === 'RJ>SP');
    const w = want.lanes[2] as (typeof want.lanes)[number];
    expect(lane?.served).toBeCloseTo(w.absErr / w.sumA, 10);
    expect(lane?.peers[0]?.wape).toBeCloseTo((naive[2] ?? 0) / w.sumA, 10);
    const one = forecastReplySchemas.liveReply.parse(
      (await app.inject({ method: 'GET', url: '/api/forecasts/live?lane=SP%3EMG' })).json(),
    );
    expect(one.data.map((l) => l.lane)).toEqual(['SP>MG']);
    expect(one.network?.lanes).toBe(3);
    // A lane not scored yet is an empty list: the normal state of a new lane, not an error.
    const none = await app.inject({ method: 'GET', url: '/api/forecasts/live?lane=XX%3EYY' });
    expect(none.statusCode).toBe(200);
    expect(forecastReplySchemas.liveReply.parse(none.json())).toMatchObject({ total: 0, data: [] });
  });

  it('exports the lane and network figures in /metrics', async () => {
    const registry = new Registry();
    registerLiveAccuracyMetrics(registry, { store, logger, now: () => NOW, maxLanes: 2 });
    const text = await registry.metrics();
    const gauge = (line: string) => {
      const m = text.split('\n').find((l) => l.startsWith(`${line} `));
      return m === undefined ? undefined : Number(m.slice(line.length + 1));
    };
    const want = expected();
    expect(gauge('dockside_forecast_live_network_mape')).toBeCloseTo(want.networkMape, 10);
    expect(gauge('dockside_forecast_live_network_wape')).toBeCloseTo(want.networkWape, 10);
    expect(gauge('dockside_forecast_live_lanes')).toBe(3);
    // Capped at the 2 lanes with the most volume: RJ>SP (i = 2) and SP>MG (i = 1), not SP>RJ.
    const rjsp = want.lanes[2] as (typeof want.lanes)[number];
    expect(gauge('dockside_forecast_live_mape{lane="RJ>SP",warehouse=""}')).toBeCloseTo(rjsp.mape, 10);
    expect(text).toContain('dockside_forecast_live_wape{lane="SP>MG",warehouse=""}');
    expect(text).not.toContain('lane="SP>RJ"');
  });

  it("raises and stores an alert above the policy's threshold, shown with the forecast alerts", async () => {
    const want = expected();
    expect(
      await checkAccuracyAlert(store, {
        measure: 'committed',
        threshold: want.networkMape + 0.01,
        nowMs: NOW,
      }),
    ).toBeUndefined();
    const first = await checkAccuracyAlert(store, { measure: 'committed', threshold: 0.05, nowMs: NOW });
    const again = await checkAccuracyAlert(store, {
      measure: 'committed',
      threshold: 0.05,
      nowMs: NOW + 60_000,
    });
    expect(first?.value).toBeCloseTo(want.networkMape, 10);
    expect(again?.id).toBe(first?.id);
    const res = await app.inject({ method: 'GET', url: '/api/forecasts/alerts' });
    expect(res.statusCode).toBe(200);
    const body = z
      .object({
        data: z.array(
          z.object({ id: z.string(), kind: z.string(), value: z.number(), threshold: z.number() }),
        ),
      })
      .parse(res.json());
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({ id: first?.id, kind: 'forecast_mape', threshold: 0.05 });
    expect(body.data[0]?.value).toBeCloseTo(want.networkMape, 10);
  });
});

const pointsSchema = z.array(
  z.object({
    date: z.string(),
    mean: z.number(),
    intervals: z.array(z.object({ level: z.number(), lower: z.number(), upper: z.number() })),
  }),
);
const levelAnswer = z.object({
  level: z.string(),
  reconciliation: z.string(),
  total: z.number(),
  data: z.array(z.object({ level: z.string(), key: z.string(), lanes: z.number(), points: pointsSchema })),
});
const laneAnswer = z.object({ data: z.array(z.object({ lane: z.string(), points: pointsSchema })) });

describe('GET /api/forecasts?level=', () => {
  const get = async (query: string) => app.inject({ method: 'GET', url: `/api/forecasts?${query}` });

  it('warehouse and network totals add up exactly, and follow the lanes', async () => {
    const lanes = laneAnswer.parse((await get('level=lane')).json()).data;
    const total = levelAnswer.parse((await get('level=total')).json());
    const warehouses = levelAnswer.parse((await get('level=warehouse')).json());
    expect(total).toMatchObject({ level: 'total', reconciliation: 'bottom-up', total: 1 });
    expect(warehouses.data.map((w) => [w.key, w.lanes])).toEqual([
      ['W1', 2],
      ['W2', 2],
    ]);
    const [tot] = total.data;
    expect(tot?.points).toHaveLength(HORIZON);
    // The share of SP>MG at W1, from the 56 days of commitments before the newest origin.
    let w1 = 0;
    let all = 0;
    for (let d = TODAY - 56; d < TODAY; d++) {
      w1 += atWarehouses(1, actual(1, d))[0]?.[1] ?? 0;
      all += actual(1, d);
    }
    tot?.points.forEach((p, t) => {
      const [a, b] = warehouses.data.map((w) => w.points[t]?.mean ?? Number.NaN);
      expect(p.mean, p.date).toBe((a as number) + (b as number));
      expect(p.mean, p.date).toBe((b as number) + (a as number));
      const lane = (name: string) => lanes.find((l) => l.lane === name)?.points[t]?.mean ?? Number.NaN;
      expect(p.mean).toBeCloseTo(lane('SP>RJ') + lane('SP>MG') + lane('RJ>SP'), 4);
      expect(a).toBeCloseTo(lane('SP>RJ') + (w1 / all) * lane('SP>MG'), 4);
      expect(b).toBeCloseTo(lane('RJ>SP') + (1 - w1 / all) * lane('SP>MG'), 4);
      const band = p.intervals[0];
      expect(band?.lower).toBeLessThan(p.mean);
      expect(band?.upper).toBeGreaterThan(p.mean);
    });
    const one = levelAnswer.parse((await get('level=warehouse&warehouse=W2')).json());
    expect(one.data.map((w) => w.key)).toEqual(['W2']);
  });

  it('refuses a bad level and a lane with an aggregate level, naming the field', async () => {
    const bad = await get('level=region');
    expect(bad.statusCode).toBe(400);
    const err = z
      .object({ error: z.object({ message: z.string(), issues: z.array(z.object({ field: z.string() })) }) })
      .parse(bad.json()).error;
    expect(err.issues[0]?.field).toBe('level');
    expect(err.message).toMatch(/^level: got "region", expected/);
    const lane = await get('level=total&lane=SP%3ERJ');
    expect(lane.statusCode).toBe(400);
    expect(lane.json().error.message).toMatch(/^lane: got "SP>RJ" with level=total/);
    expect((await get('level=warehouse&warehouse=W9')).statusCode).toBe(404);
  });
});
