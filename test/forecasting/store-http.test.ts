import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  chTime,
  createLogger,
  loadConfig,
  migrate,
  openStore,
  queryRows,
  type Store,
} from '../../core/mod.ts';
import { plannerApiDocument } from '../../dashboards/openapi.ts';
import { dayOf, formatDay, msFromDay, weekday } from '../../forecasting/days.ts';
import {
  DEFAULT_RUN_OPTIONS,
  type ForecastRunOptions,
  type ForecastRunSummary,
  forecastingMigrations,
  forecastReplySchemas,
  registerForecastRoutes,
  runForecasts,
  startForecastScheduler,
} from '../../forecasting/mod.ts';
import { readLaneSeries } from '../../forecasting/store.ts';
import type { EventRow } from '../../ingest/mod.ts';
import { tempDir } from '../helpers/env.ts';

/**
 * Forecasting against a real embedded ClickHouse: events in, materialised lane volume, a forecast run
 * stored, the planner API answering from it through fastify's inject().
 */
const data = tempDir('forecasting');
const logger = createLogger({ logLevel: 'silent' });
let store: Store;
let app: FastifyInstance;

const FIRST = dayOf('2024-01-01');
const DAYS = 98;
const LANES = ['SP>RJ', 'SP>MG', 'RJ>SP'];
const options: ForecastRunOptions = {
  ...DEFAULT_RUN_OPTIONS,
  models: ['naive', 'seasonal-naive', 'moving-average', 'weekly-profile'],
  horizon: 14,
  folds: 2,
  threads: 0,
  asOf: 'latest',
  historyDays: 365,
};

function committed(
  id: string,
  shipment: string,
  lane: string,
  day: number,
  warehouse = 'W1',
  shipBy = day + 2,
): EventRow {
  const at = chTime(msFromDay(day) + 36_000_000);
  return {
    id,
    type: 'shipment.committed',
    occurred_at: at,
    received_at: at,
    source: 'test',
    shipment_id: shipment,
    warehouse_id: warehouse,
    customer_id: 'c1',
    lane,
    late: 0,
    payload: JSON.stringify({
      id,
      type: 'shipment.committed',
      shipmentId: shipment,
      lane,
      promisedShipBy: `${formatDay(shipBy)}T12:00:00Z`,
    }),
  };
}

function event(type: string, id: string, shipment: string, day: number, warehouse = 'W1'): EventRow {
  const at = chTime(msFromDay(day) + 50_000_000);
  return {
    ...committed(id, shipment, '', day, warehouse),
    type,
    occurred_at: at,
    received_at: at,
    payload: '{}',
  };
}

async function insert(rows: EventRow[]): Promise<void> {
  await store.client.insert({ table: store.table('events'), values: rows, format: 'JSONEachRow' });
}

/** Volume of lane i on day t: weekday shape, lane size; one lane skips a day entirely. */
function volume(i: number, t: number): number {
  if (i === 2 && t === 50) return 0;
  return (i + 1) * 3 + (weekday(FIRST + t) >= 5 ? 0 : 2);
}

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  // The fixture's events were received in 2024: keep them whatever their age (no events TTL).
  await migrate(store, { database: 'dockside', retainDays: { events: 0 } }, forecastingMigrations);
  const rows: EventRow[] = [];
  LANES.forEach((lane, i) => {
    for (let t = 0; t < DAYS; t++) {
      for (let k = 0; k < volume(i, t); k++)
        rows.push(committed(`e-${i}-${t}-${k}`, `s-${i}-${t}-${k}`, lane, FIRST + t));
    }
  });
  await insert(rows);
  // A redelivered event and a second commitment event for the same shipment: neither adds volume.
  await insert([
    committed('e-0-10-0', 's-0-10-0', 'SP>RJ', FIRST + 10),
    committed('e-again', 's-0-10-0', 'SP>RJ', FIRST + 10),
  ]);
  app = Fastify();
  registerForecastRoutes(app, { store, logger });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  data.remove();
});

const page = <T extends z.ZodType>(item: T) =>
  z.object({
    page: z.number(),
    pageSize: z.number(),
    total: z.number(),
    nextPage: z.number().nullable(),
    data: z.array(item),
  });
const point = z.object({
  date: z.string(),
  mean: z.number(),
  days: z.number().optional(),
  intervals: z.array(z.object({ level: z.number(), lower: z.number(), upper: z.number() })),
});
const forecastsPage = page(
  z.object({
    lane: z.string(),
    warehouse: z.string(),
    model: z.string(),
    runId: z.string(),
    points: z.array(point),
  }),
);
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Full paths of the GET routes in fastify's printRoutes tree (children print relative to their parent). */
function routePaths(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)[└├]── (\S+) \(([^)]*)\)/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(m[2] ?? '');
    if ((m[3] ?? '').includes('GET')) out.push(stack.join(''));
  }
  return out;
}

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url });
  return {
    status: res.statusCode,
    type: String(res.headers['content-type']),
    body: res.body,
    json: () => JSON.parse(res.body) as unknown,
  };
}

describe('lane series in ClickHouse', () => {
  it('counts each committed shipment once per day, zero-fills quiet days, and splits by warehouse when asked', async () => {
    const series = await readLaneSeries(store, {
      measure: 'committed',
      byWarehouse: false,
      end: FIRST + DAYS,
      historyDays: 365,
      horizon: 7,
    });
    expect(series.map((s) => s.key).sort()).toEqual([...LANES].sort());
    const rj = series.find((s) => s.lane === 'RJ>SP');
    expect(rj?.start).toBe(FIRST);
    expect(rj?.values[50]).toBe(0);
    expect(rj?.values[51]).toBe(volume(2, 51));
    const sp = series.find((s) => s.lane === 'SP>RJ');
    expect(Array.from(sp?.values ?? []).slice(8, 12)).toEqual([8, 9, 10, 11].map((t) => volume(0, t)));
    const byWarehouse = await readLaneSeries(store, {
      measure: 'committed',
      byWarehouse: true,
      end: FIRST + DAYS,
      historyDays: 365,
      horizon: 7,
    });
    expect(byWarehouse.map((s) => s.key)).toContain('SP>RJ@W1');
  });

  it('counts ship scans per lane for the shipped measure, with known future commitments as a regressor', async () => {
    await insert([
      event('wms.ship_scan', 'scan-1', 's-0-90-0', FIRST + 91),
      event('wms.ship_scan', 'scan-1b', 's-0-90-0', FIRST + 92), // a second scan of the same shipment
      event('wms.ship_scan', 'scan-2', 's-1-90-0', FIRST + 91),
      committed('future-1', 'f-1', 'SP>RJ', FIRST + 97, 'W1', FIRST + 100),
      committed('future-2', 'f-2', 'SP>RJ', FIRST + 97, 'W1', FIRST + 100),
      committed('future-3', 'f-3', 'SP>RJ', FIRST + 97, 'W1', FIRST + 100),
      event('shipment.cancelled', 'cancel-3', 'f-3', FIRST + 97),
    ]);
    const series = await readLaneSeries(store, {
      measure: 'shipped',
      byWarehouse: false,
      end: FIRST + 95,
      historyDays: 365,
      horizon: 7,
    });
    const sp = series.find((s) => s.lane === 'SP>RJ');
    expect(sp?.start).toBe(FIRST + 91);
    expect(Array.from(sp?.values ?? [])).toEqual([1, 0, 0, 0]);
    expect(series.find((s) => s.lane === 'SP>MG')?.values[0]).toBe(1);
    // Shipments committed on day 97 for day 100: two, the cancelled third does not count.
    expect(sp?.regressors.due?.[100 - 91]).toBe(2);
    expect(sp?.regressors.due?.length).toBe(4 + 7);
  });
});

describe('forecast run and planner API', () => {
  let runId = '';

  beforeAll(async () => {
    const summary = await runForecasts(options, { store, logger });
    runId = summary.runId;
    expect(summary.lanes).toBe(3);
    expect(summary.origin).toBe(formatDay(FIRST + DAYS));
  }, 60_000);

  it('serves the latest forecast of every lane, with intervals, paginated', async () => {
    const res = await get('/api/forecasts');
    expect(res.status, res.body).toBe(200);
    const body = forecastsPage.parse(res.json());
    expect(body.total).toBe(3);
    expect(body.data.map((d) => d.lane)).toEqual(['RJ>SP', 'SP>MG', 'SP>RJ']);
    const first = body.data[0];
    expect(first?.model).toBe('ensemble');
    expect(first?.runId).toBe(runId);
    expect(first?.points).toHaveLength(14);
    expect(first?.points[0]?.date).toBe(formatDay(FIRST + DAYS));
    for (const p of first?.points ?? []) {
      expect(p.intervals.map((i) => i.level)).toEqual([80, 95]);
      expect(p.intervals[1]?.lower ?? 1).toBeLessThanOrEqual(p.mean);
    }
    const paged = forecastsPage.parse((await get('/api/forecasts?pageSize=2&page=2')).json());
    expect(paged.data.map((d) => d.lane)).toEqual(['SP>RJ']);
    expect(paged.nextPage).toBeNull();
    expect(forecastsPage.parse((await get('/api/forecasts?pageSize=2')).json()).nextPage).toBe(2);
  });

  it('forecasts the weekly pattern it was given (weekdays 2 above weekends) for a lane, to a horizon', async () => {
    const body = forecastsPage.parse(
      (await get(`/api/forecasts?lane=${encodeURIComponent('SP>MG')}&horizon=7`)).json(),
    );
    const points = body.data[0]?.points ?? [];
    expect(points).toHaveLength(7);
    for (const p of points) {
      const expected = 6 + (weekday(dayOf(p.date)) >= 5 ? 0 : 2);
      expect(Math.abs(p.mean - expected)).toBeLessThan(1);
    }
  });

  it('sums days into ISO weeks, and answers CSV', async () => {
    const daily =
      forecastsPage.parse((await get('/api/forecasts?lane=SP%3ERJ')).json()).data[0]?.points ?? [];
    const weekly =
      forecastsPage.parse((await get('/api/forecasts?lane=SP%3ERJ&granularity=week')).json()).data[0]
        ?.points ?? [];
    expect(weekly.reduce((s, p) => s + (p.days ?? 0), 0)).toBe(14);
    expect(weekly.reduce((s, p) => s + p.mean, 0)).toBeCloseTo(
      daily.reduce((s, p) => s + p.mean, 0),
      6,
    );
    const csv = await get('/api/forecasts?lane=SP%3ERJ&format=csv');
    expect(csv.type).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('lane,warehouse,date,mean,lower_80,upper_80,lower_95,upper_95,model,run_id');
    expect(lines).toHaveLength(15);
    const viaAccept = await app.inject({
      method: 'GET',
      url: '/api/forecasts?lane=SP%3ERJ',
      headers: { accept: 'text/csv' },
    });
    expect(viaAccept.body).toBe(csv.body);
  });

  it('answers bad queries with the field, the value and what was expected', async () => {
    const zero = await get('/api/forecasts?horizon=0');
    expect(zero.status).toBe(400);
    expect(errorBody.parse(zero.json()).error.message).toBe('horizon: got "0", expected an integer 1..365');
    const beyond = await get('/api/forecasts?horizon=30');
    expect(beyond.status).toBe(400);
    expect(errorBody.parse(beyond.json()).error.message).toMatch(/^horizon: got 30, expected at most 14/);
    const unknown = await get('/api/forecasts?lane=XX%3EYY');
    expect(unknown.status).toBe(404);
    expect(errorBody.parse(unknown.json()).error.message).toMatch(
      /^lane: got "XX>YY", expected a lane with a stored forecast/,
    );
    const extra = await get('/api/forecasts?lanes=SP%3ERJ');
    expect(extra.status).toBe(400);
    expect(errorBody.parse(extra.json()).error.message).toMatch(/unknown keys \(lanes\)/);
  });

  it('reports backtest accuracy per lane: metrics, the model chosen, when', async () => {
    const row = z.object({
      lane: z.string(),
      model: z.string(),
      served: z.boolean(),
      selectedModel: z.string(),
      ensembleWeights: z.record(z.string(), z.number()),
      backtestedAt: z.string(),
      folds: z.number(),
      points: z.number(),
      mape: z.number().nullable(),
      wape: z.number().nullable(),
      mase: z.number().nullable(),
      coverage: z.record(z.string(), z.number().nullable()),
    });
    const body = page(row).parse((await get('/api/forecasts/accuracy')).json());
    expect(body.total).toBe(3);
    for (const r of body.data) {
      expect(r.model).toBe('ensemble');
      expect(r.served).toBe(true);
      expect(options.models).toContain(r.selectedModel);
      expect(Object.values(r.ensembleWeights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(r.folds).toBe(2);
      expect(r.points).toBe(28);
      expect(r.wape).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.backtestedAt)).toBeGreaterThan(Date.parse('2020-01-01'));
    }
    // The noise-free weekday pattern is forecast exactly by the seasonal naive: its errors are zero.
    const sn = page(row).parse(
      (await get('/api/forecasts/accuracy?model=seasonal-naive&lane=SP%3EMG')).json(),
    );
    expect(sn.data[0]?.wape).toBe(0);
    const csv = await get('/api/forecasts/accuracy?format=csv');
    expect(csv.body.split('\n')[0]).toMatch(/^lane,warehouse,model,selectedModel,mape,/);
    expect((await get('/api/forecasts/accuracy?lane=NOPE')).status).toBe(404);
  });

  it('raises a forecast-delta alert when a lane’s next 7 days move, and lists it', async () => {
    // Double SP>RJ's last four weeks: the same origin, a much higher level.
    const extra: EventRow[] = [];
    for (let t = DAYS - 28; t < DAYS; t++) {
      for (let k = 0; k < volume(0, t); k++)
        extra.push(committed(`x-${t}-${k}`, `xs-${t}-${k}`, 'SP>RJ', FIRST + t));
    }
    await insert(extra);
    const summary = await runForecasts(options, { store, logger });
    expect(summary.alerts.map((a) => [a.lane, a.direction])).toEqual([['SP>RJ', 'up']]);
    const alert = summary.alerts[0];
    expect(alert?.previousRunId).toBe(runId);
    expect(alert?.change).toBeGreaterThan(0.2);
    const listed = page(
      z.object({ id: z.string(), lane: z.string(), direction: z.string(), newVolume: z.number() }),
    ).parse((await get('/api/forecasts/alerts')).json());
    expect(listed.data.map((a) => a.id)).toEqual([alert?.id]);
    expect((await get('/api/forecasts/alerts?lane=SP%3EMG')).json()).toMatchObject({ total: 0 });
    expect((await get('/api/forecasts/alerts?since=2000-01-01T00:00:00Z')).json()).toMatchObject({
      total: 1,
    });
    expect((await get('/api/forecasts/alerts?since=2999-01-01T00:00:00Z')).json()).toMatchObject({
      total: 0,
    });
    expect((await get('/api/forecasts/alerts?since=yesterday')).status).toBe(400);
    // The API now serves the new run.
    expect(forecastsPage.parse((await get('/api/forecasts?lane=SP%3ERJ')).json()).data[0]?.runId).toBe(
      summary.runId,
    );
  });

  it('answers exactly what its generated OpenAPI document describes, and documents every route it serves', async () => {
    // Parsing strips fields a schema does not name: an answer equal to its parse has none undocumented.
    const r = forecastReplySchemas;
    const answers = [
      ['/api/forecasts', r.laneForecastsReply],
      ['/api/forecasts?granularity=week&pageSize=1', r.laneForecastsReply],
      ['/api/forecasts?level=total', r.hierarchyForecastsReply],
      ['/api/forecasts?level=warehouse', r.hierarchyForecastsReply],
      ['/api/forecasts/accuracy', r.accuracyReply],
      ['/api/forecasts/alerts', r.alertsReply],
    ] as const;
    for (const [url, schema] of answers) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      const body = res.json() as { data: unknown[] };
      expect(body.data.length, url).toBeGreaterThan(0);
      expect(schema.parse(body), url).toEqual(body);
    }
    const doc = z
      .object({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) })
      .parse(plannerApiDocument({ version: '0.0.0' }));
    expect(doc.openapi).toBe('3.1.0');
    // The document itself is served beside the docs (dashboards/docs-routes.ts), not by this plugin.
    const served = routePaths(app.printRoutes({ commonPrefix: false }));
    expect([...served, '/api/forecasts/openapi.json'].sort()).toEqual(Object.keys(doc.paths).sort());
  });

  it('rate limits each client', async () => {
    const limited = Fastify();
    registerForecastRoutes(limited, { store, logger, rateLimitPerMinute: 2 });
    await limited.ready();
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await limited.inject({ method: 'GET', url: '/api/forecasts/alerts' })).statusCode);
    const last = await limited.inject({ method: 'GET', url: '/api/forecasts/alerts' });
    await limited.close();
    expect(codes).toEqual([200, 200, 429]);
    expect(errorBody.parse(JSON.parse(last.body)).error.code).toBe('RATE_LIMITED');
    expect(last.headers['retry-after']).toBeDefined();
  });

  it('the scheduler runs at start and on demand, and stops cleanly', async () => {
    const count = async () =>
      Number(
        (
          await queryRows<{ n: string }>(
            store,
            `SELECT count() AS n FROM ${store.table('forecast_runs')} FINAL`,
          )
        )[0]?.n,
      );
    const before = await count();
    let started: (s: ForecastRunSummary) => void = () => undefined;
    const firstRun = new Promise<ForecastRunSummary>((resolve) => {
      started = resolve;
    });
    const scheduler = startForecastScheduler({
      store,
      logger,
      intervalMs: 3_600_000,
      options: { ...options, horizon: 7 },
      onRun: (s) => started(s),
    });
    expect((await firstRun).lanes).toBe(3);
    const summary = await scheduler.runNow();
    await scheduler.stop();
    expect(summary?.lanes).toBe(3);
    expect(await count()).toBe(before + 2);
    expect(await scheduler.runNow()).toBeUndefined();
  }, 60_000);
});
