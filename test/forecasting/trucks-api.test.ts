import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chTime, createLogger, loadConfig, migrate, openStore, type Store } from '../../core/mod.ts';
import { plannerApiDocument } from '../../dashboards/openapi.ts';
import { dayOf, formatDay, msFromDay } from '../../forecasting/days.ts';
import { trucksReply } from '../../forecasting/http-trucks.ts';
import { forecastingMigrations, registerForecastRoutes } from '../../forecasting/mod.ts';
import { writeRun } from '../../forecasting/store.ts';
import type { EventRow } from '../../ingest/mod.ts';
import { tempDir } from '../helpers/env.ts';

/**
 * GET /api/forecasts/trucks against a real embedded ClickHouse: a stored forecast with known bands,
 * shipments carrying `units` and tenders carrying `capacity` (contract 1.1), one lane's capacity declared
 * in the capacity config, one lane with none: trucks per day are exact.
 */
const data = tempDir('trucks-api');
const logger = createLogger({ logLevel: 'silent' });
let store: Store;
let app: FastifyInstance;

const ORIGIN = dayOf('2024-04-08');
const at = (day: number) => chTime(msFromDay(day) + 36_000_000);

function committed(shipment: string, lane: string, day: number, units?: number): EventRow {
  const id = `c-${shipment}`;
  return {
    id,
    type: 'shipment.committed',
    occurred_at: at(day),
    received_at: at(day),
    source: 'test',
    shipment_id: shipment,
    warehouse_id: 'W1',
    customer_id: 'c1',
    lane,
    late: 0,
    payload: JSON.stringify({ id, type: 'shipment.committed', shipmentId: shipment, lane, units }),
  };
}

function tender(
  id: string,
  carrier: string,
  day: number,
  shipmentIds: string[],
  capacity?: number,
): EventRow {
  return {
    id,
    type: 'tms.tender',
    occurred_at: at(day),
    received_at: at(day),
    source: 'test',
    shipment_id: '',
    warehouse_id: '',
    customer_id: '',
    lane: '',
    late: 0,
    payload: JSON.stringify({
      id,
      type: 'tms.tender',
      loadId: `L-${id}`,
      carrierId: carrier,
      shipmentIds,
      capacity,
    }),
  };
}

beforeAll(async () => {
  store = await openStore(loadConfig({ DOCKSIDE_DATA_DIR: data.dir }));
  await migrate(store, { database: 'dockside', retainDays: { events: 0 } }, forecastingMigrations);
  const events: EventRow[] = [
    // SP>RJ: three shipments of 2 units and one without units (counts 1) in the 91 days before the origin;
    // one after the origin and one long before it are outside the window.
    committed('a1', 'SP>RJ', ORIGIN - 30, 2),
    committed('a2', 'SP>RJ', ORIGIN - 20, 2),
    committed('a3', 'SP>RJ', ORIGIN - 10, 2),
    committed('a4', 'SP>RJ', ORIGIN - 5),
    committed('a5', 'SP>RJ', ORIGIN + 1, 100),
    committed('a6', 'SP>RJ', ORIGIN - 100, 50),
    tender('t1', 'CARR-1', ORIGIN - 29, ['a1'], 8),
    tender('t2', 'CARR-1', ORIGIN - 19, ['a2'], 10), // CARR-1's latest: 10
    tender('t3', 'CARR-2', ORIGIN - 9, ['a3', 'a4'], 14),
    tender('t4', 'CARR-3', ORIGIN - 8, ['a1']), // no capacity: learns nothing
    // SP>MG: declared 26 in the config, which wins over the tender's 5.
    committed('b1', 'SP>MG', ORIGIN - 3),
    tender('t5', 'CARR-1', ORIGIN - 2, ['b1'], 5),
    // RJ>SP: no capacity anywhere.
    committed('c1', 'RJ>SP', ORIGIN - 3),
  ];
  await store.client.insert({ table: store.table('events'), values: events, format: 'JSONEachRow' });
  const bands = {
    mean: [20, 0, 40],
    intervals: [
      { level: 80, lower: [14, 0, 30], upper: [27, 0, 50] },
      { level: 95, lower: [10, 0, 25], upper: [32, 0, 60] },
    ],
  };
  await writeRun(
    store,
    {
      runId: 'run-1',
      createdAt: msFromDay(ORIGIN),
      measure: 'committed',
      origin: ORIGIN,
      horizon: 3,
      lanes: 3,
      served: 'ensemble',
      models: ['ensemble'],
      levels: [80, 95],
      params: {},
    },
    ['SP>RJ', 'SP>MG', 'RJ>SP'].map((lane) => ({
      lane,
      warehouse: '',
      model: 'ensemble',
      origin: ORIGIN,
      ...bands,
    })),
    [],
    [],
  );
  app = Fastify();
  registerForecastRoutes(app, { store, logger, capacity: { trucks: [{ lane: 'SP>MG', capacity: 26 }] } });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  data.remove();
});

async function trucks(query: string) {
  const res = await app.inject({ method: 'GET', url: `/api/forecasts/trucks?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  // Parsing strips fields the schema does not name: the answer equals its parse when all are documented.
  const body = res.json();
  expect(trucksReply.parse(body)).toEqual(body);
  return trucksReply.parse(body);
}

const lane = (name: string) => `lane=${encodeURIComponent(name)}`;

describe('GET /api/forecasts/trucks', () => {
  it('books the 0.9 quantile × units per shipment / the smallest learned capacity', async () => {
    const r = await trucks(`${lane('SP>RJ')}&serviceLevel=0.9&days=14`);
    expect(r.serviceLevel).toBe(0.9);
    const [l] = r.data;
    expect(l?.capacity).toEqual({ units: 10, carrier: 'CARR-1', source: 'tenders' });
    expect(l?.unitsPerShipment).toEqual({ mean: 1.75, shipments: 4, withUnits: 3 });
    // 27 × 1.75 = 47.25 → 5 trucks of 10; 0 → 0; 50 × 1.75 = 87.5 → 9. The stored forecast has 3 days.
    expect(l?.days).toEqual([
      { date: formatDay(ORIGIN), mean: 20, quantile: 27, units: 47.25, trucks: 5 },
      { date: formatDay(ORIGIN + 1), mean: 0, quantile: 0, units: 0, trucks: 0 },
      { date: formatDay(ORIGIN + 2), mean: 40, quantile: 50, units: 87.5, trucks: 9 },
    ]);
    expect(l?.reason).toBeUndefined();
  });

  it('uses the named carrier’s capacity, and the median at service level 0.5', async () => {
    const carr2 = await trucks(`${lane('SP>RJ')}&carrier=CARR-2&days=3`);
    expect(carr2.data[0]?.capacity).toEqual({ units: 14, carrier: 'CARR-2', source: 'tenders' });
    expect(carr2.data[0]?.days.map((d) => d.trucks)).toEqual([4, 0, 7]); // 47.25 / 14, 87.5 / 14
    const median = await trucks(`${lane('SP>RJ')}&serviceLevel=0.5&days=2`);
    expect(median.data[0]?.days.map((d) => d.trucks)).toEqual([4, 0]); // 20 × 1.75 = 35 → 4
  });

  it('lets the declared capacity win over tenders; a lane without any answers volumes and why', async () => {
    const r = await trucks('serviceLevel=0.975');
    const by = new Map(r.data.map((d) => [d.lane, d]));
    expect(r.total).toBe(3);
    expect(by.get('SP>MG')?.capacity).toEqual({ units: 26, carrier: null, source: 'config' });
    expect(by.get('SP>MG')?.unitsPerShipment).toEqual({ mean: 1, shipments: 1, withUnits: 0 });
    expect(by.get('SP>MG')?.days.map((d) => d.trucks)).toEqual([2, 0, 3]); // 32 / 26, 60 / 26
    expect(by.get('RJ>SP')?.capacity).toBeNull();
    expect(by.get('RJ>SP')?.days.map((d) => d.trucks)).toEqual([null, null, null]);
    expect(by.get('RJ>SP')?.days.map((d) => d.quantile)).toEqual([32, 0, 60]);
    expect(by.get('RJ>SP')?.reason).toMatch(
      /no truck capacity known for lane RJ>SP: declare it in DOCKSIDE_CAPACITY_FILE/,
    );
  });

  it('writes CSV, one row per lane and day', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/forecasts/trucks?${lane('SP>RJ')}&days=1&format=csv`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.body.split('\n')).toEqual([
      'lane,warehouse,date,mean,quantile,units,trucks,capacity,carrier,capacity_source,units_per_shipment,model,run_id',
      `SP>RJ,,${formatDay(ORIGIN)},20,27,47.25,5,10,CARR-1,tenders,1.75,ensemble,run-1`,
      '',
    ]);
  });

  it('names bad input: service level beyond the bands, unknown lane', async () => {
    const high = await app.inject({ method: 'GET', url: '/api/forecasts/trucks?serviceLevel=0.99' });
    expect(high.statusCode).toBe(400);
    expect(high.json().error.message).toBe('serviceLevel: got "0.99", expected a number 0.5..0.975');
    const text = await app.inject({ method: 'GET', url: '/api/forecasts/trucks?serviceLevel=high' });
    expect(text.statusCode).toBe(400);
    expect(text.json().error.issues[0].field).toBe('serviceLevel');
    const unknown = await app.inject({ method: 'GET', url: `/api/forecasts/trucks?${lane('NO>NE')}` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('LANE_UNKNOWN');
  });

  it('is described in the OpenAPI document, generated from its schemas', () => {
    const doc = plannerApiDocument({ version: '0.0.0' }) as {
      paths: Record<string, { get: { parameters: { name: string }[]; responses: Record<string, unknown> } }>;
    };
    const op = doc.paths['/api/forecasts/trucks']?.get;
    expect(op?.responses['200']).toHaveProperty('content.application/json.schema.properties.data');
    expect(op?.parameters.map((p) => p.name).sort()).toEqual(
      [
        'carrier',
        'days',
        'format',
        'lane',
        'measure',
        'page',
        'pageSize',
        'serviceLevel',
        'warehouse',
      ].sort(),
    );
  });
});
