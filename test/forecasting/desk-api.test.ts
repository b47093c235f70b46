import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chTime, createLogger, loadConfig, migrate, openStore, type Store } from '../../core/mod.ts';
import { plannerApiDocument } from '../../dashboards/openapi.ts';
import { dayOf, formatDay, msFromDay, weekday } from '../../forecasting/days.ts';
import {
  DEFAULT_RUN_OPTIONS,
  type ForecastRunOptions,
  forecastingMigrations,
  forecastReplySchemas,
  registerForecastRoutes,
  runForecasts,
} from '../../forecasting/mod.ts';
import type { EventRow } from '../../ingest/mod.ts';
import { tempDir } from '../helpers/env.ts';

/**
 * The forecast desk's API against a real embedded ClickHouse: lanes with their accuracy (searchable), one
 * lane's actuals + forecast + bands + every model's backtest, and the CSV of that view.
 */
const data = tempDir('desk-api');
const logger = createLogger({ logLevel: 'silent' });
let store: Store;
let app: FastifyInstance;

const FIRST = dayOf('2024-01-01');
const DAYS = 98;
/** The forecast starts a week before the data ends, so the desk shows actuals beside the forecast. */
const ORIGIN = FIRST + DAYS - 7;
const LANES = ['ATL>NYC', 'ATL>BOS', 'CHI>MIA'];
const options: ForecastRunOptions = {
  ...DEFAULT_RUN_OPTIONS,
  models: ['naive', 'seasonal-naive', 'moving-average', 'weekly-profile'],
  horizon: 14,
  folds: 2,
  threads: 0,
  asOf: ORIGIN,
  historyDays: 365,
};

/** Lane i on day t: a weekday pattern, a lane size, and a wobble so no model is exact. */
function volume(i: number, t: number): number {
  return (i + 1) * 4 + (weekday(FIRST + t) >= 5 ? 0 : 3) + (t % 3);
}

function committed(id: string, lane: string, day: number): EventRow {
  const at = chTime(msFromDay(day) + 36_000_000);
  return {
    id,
    type: 'shipment.committed',
    occurred_at: at,
    received_at: at,
    source: 'test',
    shipment_id: id,
    warehouse_id: `WH-${lane.slice(0, 3)}`,
    customer_id: 'c1',
    lane,
    late: 0,
    payload: JSON.stringify({ id, type: 'shipment.committed', shipmentId: id, lane }),
  };
}

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  await migrate(store, 'dockside', forecastingMigrations);
  const rows: EventRow[] = [];
  LANES.forEach((lane, i) => {
    for (let t = 0; t < DAYS; t++)
      for (let k = 0; k < volume(i, t); k++) rows.push(committed(`s-${i}-${t}-${k}`, lane, FIRST + t));
  });
  await store.client.insert({ table: store.table('events'), values: rows, format: 'JSONEachRow' });
  const summary = await runForecasts(options, { store, logger });
  expect(summary.lanes).toBe(3);
  app = Fastify();
  registerForecastRoutes(app, { store, logger });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  data.remove();
});

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, headers: res.headers, body: res.body, json: () => JSON.parse(res.body) };
}

const scores = z.object({
  mape: z.number().nullable(),
  wape: z.number().nullable(),
  mase: z.number().nullable(),
});
const lanesPage = z.object({
  total: z.number(),
  nextPage: z.number().nullable(),
  data: z.array(
    z.object({
      lane: z.string(),
      warehouse: z.string(),
      runId: z.string(),
      origin: z.string(),
      horizon: z.number(),
      model: z.string(),
      selectedModel: z.string().nullable(),
      folds: z.number(),
      accuracy: scores.nullable(),
      baseline: scores.extend({ model: z.string() }).nullable(),
      skill: z.number().nullable(),
    }),
  ),
});
const interval = z.object({ level: z.number(), lower: z.number(), upper: z.number() });
const series = z.object({
  lane: z.string(),
  warehouse: z.string(),
  runId: z.string(),
  origin: z.string(),
  horizon: z.number(),
  levels: z.array(z.number()),
  model: z.string(),
  selectedModel: z.string().nullable(),
  ensembleWeights: z.record(z.string(), z.number()),
  actuals: z.array(z.object({ date: z.string(), volume: z.number() })),
  forecast: z.array(z.object({ date: z.string(), mean: z.number(), intervals: z.array(interval) })),
  accuracy: z.array(
    z.object({
      model: z.string(),
      role: z.enum(['served', 'selected', 'baseline']).nullable(),
      wape: z.number().nullable(),
      mape: z.number().nullable(),
      mase: z.number().nullable(),
    }),
  ),
});
const accuracyPage = z.object({
  data: z.array(z.object({ lane: z.string(), model: z.string(), wape: z.number().nullable() })),
});

describe('GET /api/forecasts/lanes', () => {
  it('lists every lane with a forecast, with the served model’s accuracy beside seasonal naive’s', async () => {
    const body = lanesPage.parse((await get('/api/forecasts/lanes')).json());
    expect(body.total).toBe(3);
    expect(body.data.map((l) => l.lane)).toEqual(['ATL>BOS', 'ATL>NYC', 'CHI>MIA']);
    const naive = accuracyPage.parse((await get('/api/forecasts/accuracy?model=seasonal-naive')).json());
    const served = accuracyPage.parse((await get('/api/forecasts/accuracy')).json());
    for (const l of body.data) {
      expect(l.origin).toBe(formatDay(ORIGIN));
      expect(l.horizon).toBe(14);
      expect(l.model).toBe('ensemble');
      expect(options.models).toContain(l.selectedModel);
      expect(l.folds).toBe(2);
      // The same numbers the accuracy API reports for the lane's latest backtest.
      expect(l.accuracy?.wape).toBe(served.data.find((a) => a.lane === l.lane)?.wape);
      expect(l.baseline?.model).toBe('seasonal-naive');
      expect(l.baseline?.wape).toBe(naive.data.find((a) => a.lane === l.lane)?.wape);
      expect(l.skill).toBeCloseTo(1 - (l.accuracy?.wape ?? 0) / (l.baseline?.wape ?? 1), 10);
    }
  });

  it('searches lanes case-insensitively by any part of the lane or warehouse, a page at a time', async () => {
    const lanes = async (q: string) =>
      lanesPage
        .parse((await get(`/api/forecasts/lanes?q=${encodeURIComponent(q)}`)).json())
        .data.map((l) => l.lane);
    expect(await lanes('atl')).toEqual(['ATL>BOS', 'ATL>NYC']);
    expect(await lanes('>nyc')).toEqual(['ATL>NYC']);
    expect(await lanes('Mia')).toEqual(['CHI>MIA']);
    expect(await lanes('nowhere')).toEqual([]);
    const paged = lanesPage.parse((await get('/api/forecasts/lanes?pageSize=2&page=2')).json());
    expect(paged.data.map((l) => l.lane)).toEqual(['CHI>MIA']);
    expect(paged.nextPage).toBeNull();
    const bad = await get('/api/forecasts/lanes?pageSize=0');
    expect(bad.status).toBe(400);
    expect(bad.json().error.message).toBe('pageSize: got "0", expected an integer 1..500');
  });
});

describe('GET /api/forecasts/series', () => {
  it('answers a lane’s actuals, its forecast with 80 and 95 % bands, and each model’s backtest', async () => {
    const s = series.parse((await get('/api/forecasts/series?lane=ATL%3ENYC&history=28')).json());
    expect(s.lane).toBe('ATL>NYC');
    expect(s.warehouse).toBe('');
    expect(s.levels).toEqual([80, 95]);
    // 28 days before the origin, and the 7 complete days after it that the data covers.
    expect(s.actuals).toHaveLength(35);
    expect(s.actuals[0]?.date).toBe(formatDay(ORIGIN - 28));
    expect(s.actuals.at(-1)?.date).toBe(formatDay(FIRST + DAYS - 1));
    for (const a of s.actuals) expect(a.volume).toBe(volume(0, dayOf(a.date) - FIRST));
    expect(s.forecast).toHaveLength(14);
    expect(s.forecast[0]?.date).toBe(formatDay(ORIGIN));
    for (const p of s.forecast) {
      const [b80, b95] = p.intervals;
      expect([b80?.level, b95?.level]).toEqual([80, 95]);
      expect(b95?.lower).toBeLessThanOrEqual(b80?.lower ?? Number.NaN);
      expect(b80?.lower).toBeLessThanOrEqual(p.mean);
      expect(p.mean).toBeLessThanOrEqual(b80?.upper ?? Number.NaN);
      expect(b80?.upper).toBeLessThanOrEqual(b95?.upper ?? Number.NaN);
    }
    // The same forecast the planner API serves.
    const served = (await get('/api/forecasts?lane=ATL%3ENYC')).json().data[0];
    expect(served.runId).toBe(s.runId);
    expect(served.points).toEqual(s.forecast);
    const roles = Object.fromEntries(s.accuracy.filter((a) => a.role).map((a) => [a.role, a.model]));
    expect(roles.served).toBe('ensemble');
    expect(roles.baseline).toBe('seasonal-naive');
    if (s.selectedModel !== 'seasonal-naive') expect(roles.selected).toBe(s.selectedModel);
    expect(s.accuracy.map((a) => a.model)).toEqual(expect.arrayContaining([...options.models, 'selected']));
    expect(Object.values(s.ensembleWeights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });

  it('writes the same view as CSV: one row per day, actual and forecast with its bands side by side', async () => {
    const json = series.parse((await get('/api/forecasts/series?lane=ATL%3ENYC&history=28')).json());
    const res = await get('/api/forecasts/series?lane=ATL%3ENYC&history=28&format=csv');
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="forecast-ATL_NYC-${formatDay(ORIGIN)}.csv"`,
    );
    const [header, ...rows] = res.body.trim().split('\n');
    expect(header).toBe(
      'lane,warehouse,date,actual,forecast,lower_80,upper_80,lower_95,upper_95,model,run_id',
    );
    // 28 history days, then the 14 forecast days (the first 7 of them with actuals too).
    expect(rows).toHaveLength(42);
    const cells = rows.map((r) => r.split(','));
    expect(cells[0]).toEqual([
      'ATL>NYC',
      '',
      formatDay(ORIGIN - 28),
      String(volume(0, ORIGIN - 28 - FIRST)),
      '',
      '',
      '',
      '',
      '',
      '',
      '',
    ]);
    const overlap = cells[28] ?? [];
    const f0 = json.forecast[0];
    expect(overlap.slice(0, 4)).toEqual([
      'ATL>NYC',
      '',
      formatDay(ORIGIN),
      String(volume(0, ORIGIN - FIRST)),
    ]);
    expect(overlap.slice(4).map((c, i) => (i < 5 ? Number(c) : c))).toEqual([
      f0?.mean,
      f0?.intervals[0]?.lower,
      f0?.intervals[0]?.upper,
      f0?.intervals[1]?.lower,
      f0?.intervals[1]?.upper,
      'ensemble',
      json.runId,
    ]);
    expect(cells.at(-1)?.[2]).toBe(formatDay(ORIGIN + 13));
    expect(cells.at(-1)?.[3]).toBe('');
    const viaAccept = await app.inject({
      method: 'GET',
      url: '/api/forecasts/series?lane=ATL%3ENYC&history=28',
      headers: { accept: 'text/csv' },
    });
    expect(viaAccept.body).toBe(res.body);
  });

  it('names the field, the value and what was expected; an unknown lane is a 404', async () => {
    const missing = await get('/api/forecasts/series');
    expect(missing.status).toBe(400);
    expect(missing.json().error.message).toBe('lane: got undefined (missing), expected string');
    const short = await get('/api/forecasts/series?lane=ATL%3ENYC&history=3');
    expect(short.status).toBe(400);
    expect(short.json().error.message).toBe('history: got "3", expected an integer 7..730');
    const unknown = await get('/api/forecasts/series?lane=XX%3EYY');
    expect(unknown.status).toBe(404);
    expect(unknown.json().error.code).toBe('LANE_UNKNOWN');
    const byWarehouse = await get('/api/forecasts/series?lane=ATL%3ENYC&warehouse=WH-ATL');
    expect(byWarehouse.status).toBe(404);
  });

  it('answers exactly what the planner API’s generated OpenAPI document describes', async () => {
    // Parsing strips fields a schema does not name: an answer equal to its parse has none undocumented.
    const lanes = (await get('/api/forecasts/lanes')).json();
    expect(forecastReplySchemas.lanesReply.parse(lanes)).toEqual(lanes);
    const series = (await get('/api/forecasts/series?lane=ATL%3ENYC&history=28')).json();
    expect(forecastReplySchemas.seriesReply.parse(series)).toEqual(series);
    const paths = Object.keys(plannerApiDocument({ version: '0.0.0' }).paths as object);
    expect(paths).toEqual(expect.arrayContaining(['/api/forecasts/lanes', '/api/forecasts/series']));
  });
});
