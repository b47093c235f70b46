import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RejectError } from '../core/mod.ts';
import { intIn } from './cli-options.ts';
import { dayOf, msFromDay } from './days.ts';
import type { ForecastRoutesDeps } from './http-common.ts';
import {
  csvText,
  forecastPoint,
  laneFields,
  laneFilter,
  limits,
  ofRun,
  page,
  pageInfo,
  parseQuery,
  runFields,
  sendCsv,
  unknownLane,
  wantsCsv,
} from './http-common.ts';
import { forecastRows, type LatestRun, latestRuns, type StoredForecastRow } from './store-queries.ts';
import { laneCapacity } from './truck-capacity.ts';
import { DEFAULT_UNITS, learnedCapacities, unitsPerShipment } from './truck-queries.ts';
import { serviceLevelRange, truckPlan } from './trucks.ts';

/**
 * `GET /api/forecasts/trucks`: trucks needed per lane and day at a service level, from the latest stored
 * (served) forecast's bands (trucks.ts), the lane's capacity (declared or learned, truck-capacity.ts) and
 * its units per shipment over the 91 days before the forecast's origin (the latest origin on the page;
 * 1 per shipment without `units`).
 * A lane with no known capacity is answered with its volumes and `trucks: null`, and says why.
 */
export const UNITS_WINDOW_DAYS = 91;

const numberIn = (min: number, max: number) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `a number ${min}..${max}` });
      return z.NEVER;
    }
    return n;
  });

export const trucksQuery = z.strictObject({
  ...laneFields,
  ...page,
  carrier: z.string().min(1).max(256).optional(),
  serviceLevel: numberIn(0.5, 0.975)
    .default(0.9)
    .describe("probability that the day's volume fits the trucks; the 95 % band reaches 0.975"),
  days: intIn(1, 365).default(14),
  format: z.enum(['json', 'csv']).optional(),
});

const truckDay = z.object({
  date: z.string(),
  mean: z.number(),
  quantile: z.number().describe('the forecast volume (shipments) at the service level'),
  units: z.number().describe('quantile × units per shipment'),
  trucks: z.number().int().nullable().describe('null when no capacity is known for the lane'),
});
const laneTrucks = z.object({
  lane: z.string(),
  warehouse: z.string(),
  runId: z.string(),
  createdAt: z.string(),
  model: z.string(),
  capacity: z
    .object({
      units: z.number(),
      carrier: z.string().nullable(),
      source: z.enum(['config', 'tenders']),
    })
    .nullable(),
  unitsPerShipment: z.object({ mean: z.number(), shipments: z.number(), withUnits: z.number() }),
  reason: z.string().optional(),
  days: z.array(truckDay),
});
export const trucksReply = z.object({
  measure: z.enum(['committed', 'shipped']),
  serviceLevel: z.number(),
  page: z.number(),
  pageSize: z.number(),
  total: z.number(),
  nextPage: z.number().nullable(),
  data: z.array(laneTrucks),
});
export type TrucksReply = z.output<typeof trucksReply>;
type LaneTrucks = z.output<typeof laneTrucks>;

export function registerTruckRoutes(scope: FastifyInstance, deps: ForecastRoutesDeps): void {
  scope.get('/api/forecasts/trucks', async (req, reply) => {
    const q = parseQuery(trucksQuery, req.query);
    const { runs, total } = await latestRuns(deps.store, laneFilter(q), limits(q));
    if (total === 0 && q.lane) throw unknownLane(q.lane, 'a stored forecast');
    checkServiceLevel(q.serviceLevel, runs);
    const rows = await forecastRows(deps.store, q.measure, runs, undefined, q.days);
    const lanes = [...new Set(runs.map((r) => r.lane))];
    const latestOrigin = Math.max(0, ...runs.map((r) => dayOf(r.origin)));
    const [learned, units] = await Promise.all([
      learnedCapacities(deps.store, lanes),
      unitsPerShipment(
        deps.store,
        lanes,
        msFromDay(latestOrigin - UNITS_WINDOW_DAYS),
        msFromDay(latestOrigin),
      ),
    ]);
    const declared = deps.capacity?.trucks ?? [];
    const data = runs.map((run): LaneTrucks => {
      const cap = laneCapacity(run.lane, q.carrier, declared, learned);
      const perShipment = units.get(run.lane) ?? DEFAULT_UNITS;
      return {
        ...runFields(run),
        ...laneDays(run, rows, q.serviceLevel, cap?.capacity, perShipment.mean),
        capacity: cap ? { units: cap.capacity, carrier: cap.carrier, source: cap.source } : null,
        unitsPerShipment: perShipment,
        ...(cap
          ? {}
          : {
              reason: `no truck capacity known for lane ${run.lane}${q.carrier ? ` and carrier ${q.carrier}` : ''}: declare it in DOCKSIDE_CAPACITY_FILE or send tms.tender events with capacity`,
            }),
      };
    });
    if (wantsCsv(q.format, req.headers.accept)) return sendCsv(reply, trucksCsv(data));
    const answer: TrucksReply = {
      measure: q.measure,
      serviceLevel: q.serviceLevel,
      ...pageInfo(q, total),
      data,
    };
    return answer;
  });
}

function laneDays(
  run: LatestRun,
  rows: readonly StoredForecastRow[],
  serviceLevel: number,
  capacity: number | undefined,
  unitsPerShipment: number,
) {
  const mine = ofRun(rows, run);
  return {
    model: mine[0]?.model ?? run.served,
    days: truckPlan(mine.map(forecastPoint), { serviceLevel, capacity, unitsPerShipment }),
  };
}

/** The service level must lie within every run's bands (0.975 needs a stored 95 % band). */
function checkServiceLevel(serviceLevel: number, runs: readonly LatestRun[]): void {
  for (const run of runs) {
    const { min, max } = serviceLevelRange(run.levels);
    if (serviceLevel < min || serviceLevel > max + 1e-12) {
      throw new RejectError(
        'SERVICE_LEVEL_BEYOND_BANDS',
        `serviceLevel: got ${serviceLevel}, expected a number ${min}..${max} (the stored forecast of lane ${run.lane} has bands at ${run.levels.join(', ')} %)`,
        [{ field: 'serviceLevel', value: serviceLevel, expected: `a number ${min}..${max}` }],
      );
    }
  }
}

/** The CSV's columns (format=csv), one row per lane and day. */
export const TRUCKS_CSV_HEADER = [
  'lane',
  'warehouse',
  'date',
  'mean',
  'quantile',
  'units',
  'trucks',
  'capacity',
  'carrier',
  'capacity_source',
  'units_per_shipment',
  'model',
  'run_id',
];

function trucksCsv(data: readonly LaneTrucks[]): string {
  return csvText(
    TRUCKS_CSV_HEADER,
    data.flatMap((l) =>
      l.days.map((d) => [
        l.lane,
        l.warehouse,
        d.date,
        d.mean,
        d.quantile,
        d.units,
        d.trucks,
        l.capacity?.units,
        l.capacity?.carrier,
        l.capacity?.source,
        l.unitsPerShipment.mean,
        l.model,
        l.runId,
      ]),
    ),
  );
}
