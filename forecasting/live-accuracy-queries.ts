import { z } from 'zod';
import { queryRows, type Store } from '../core/mod.ts';
import { formatDay, parseDay } from './days.ts';
import { type Measure, readLaneSeries } from './store.ts';

/**
 * Live accuracy's reads: the served forecasts stored for days now over, and the actual volume of those
 * days. Rows are checked with zod; 64-bit numbers are cast in SQL.
 */
export interface LivePoint {
  readonly lane: string;
  readonly warehouse: string;
  readonly day: number;
  /** 1 = the forecast's first day (its origin). */
  readonly step: number;
  readonly mean: number;
}

const day = z.string().transform((s, ctx) => {
  const d = parseDay(s);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a date YYYY-MM-DD' });
    return z.NEVER;
  }
  return d;
});
const pointRow = z
  .object({
    lane: z.string(),
    warehouse_id: z.string(),
    date: day,
    step: z.coerce.number(),
    mean: z.number(),
  })
  .transform((r) => ({ lane: r.lane, warehouse: r.warehouse_id, day: r.date, step: r.step, mean: r.mean }));

/**
 * The served model's forecasts for days in [from, to) made `1..maxStep` steps ahead: per lane, day and
 * step (= per origin day), the last run stored, so a scheduler that runs four times a day counts once.
 */
export async function servedForecastPoints(
  store: Store,
  q: { measure: Measure; from: number; to: number; maxStep: number },
): Promise<LivePoint[]> {
  const rows = await queryRows<unknown>(
    store,
    `SELECT f.lane AS lane, f.warehouse_id AS warehouse_id, toString(f.day) AS date, f.step AS step,
            argMax(f.mean, f.created_at) AS mean
     FROM ${store.table('forecasts')} AS f FINAL
     INNER JOIN (SELECT run_id, served FROM ${store.table('forecast_runs')} FINAL
                 WHERE measure = {measure:String}) AS r ON f.run_id = r.run_id
     WHERE f.measure = {measure:String} AND f.model = r.served
       AND f.step >= 1 AND f.step <= {maxStep:UInt16} AND f.day >= {from:Date} AND f.day < {to:Date}
     GROUP BY lane, warehouse_id, f.day, step
     ORDER BY lane, warehouse_id, date, step`,
    { measure: q.measure, maxStep: q.maxStep, from: formatDay(q.from), to: formatDay(q.to) },
  );
  return z.array(pointRow).parse(rows);
}

export interface ModelPoint extends LivePoint {
  /** The stored model's name, or SERVED_ROLE for the run's served forecast. */
  readonly model: string;
  /** The stored bands: level (percent) with its lower and upper bound. */
  readonly bands: readonly { readonly level: number; readonly lower: number; readonly upper: number }[];
}

/** The point's own fields are read by pointRow: this one keeps them (loose) and adds its model and bands. */
const bandsRow = z.looseObject({
  role: z.string(),
  levels: z.array(z.coerce.number()),
  lower: z.array(z.number()),
  upper: z.array(z.number()),
});

/** How modelForecastPoints names the served forecast (whatever model a run served). */
export const SERVED_ROLE = 'served';

/**
 * As servedForecastPoints, for the served forecast (model SERVED_ROLE) and the stored forecasts of
 * `models` beside it: what the live peer comparison scores on the same lanes, days and steps.
 */
export async function modelForecastPoints(
  store: Store,
  q: { measure: Measure; from: number; to: number; maxStep: number; models: readonly string[] },
): Promise<ModelPoint[]> {
  const rows = await queryRows<unknown>(
    store,
    `SELECT f.lane AS lane, f.warehouse_id AS warehouse_id, toString(f.day) AS date, f.step AS step,
            if(f.model = r.served, {served:String}, f.model) AS role, argMax(f.mean, f.created_at) AS mean,
            argMax(f.levels, f.created_at) AS levels, argMax(f.lower, f.created_at) AS lower,
            argMax(f.upper, f.created_at) AS upper
     FROM ${store.table('forecasts')} AS f FINAL
     INNER JOIN (SELECT run_id, served FROM ${store.table('forecast_runs')} FINAL
                 WHERE measure = {measure:String}) AS r ON f.run_id = r.run_id
     WHERE f.measure = {measure:String} AND (f.model = r.served OR f.model IN {models:Array(String)})
       AND f.step >= 1 AND f.step <= {maxStep:UInt16} AND f.day >= {from:Date} AND f.day < {to:Date}
     GROUP BY lane, warehouse_id, f.day, step, role
     ORDER BY lane, warehouse_id, date, step, role`,
    {
      measure: q.measure,
      maxStep: q.maxStep,
      from: formatDay(q.from),
      to: formatDay(q.to),
      models: [...q.models],
      served: SERVED_ROLE,
    },
  );
  return z
    .array(bandsRow)
    .parse(rows)
    .map((r) => ({
      ...pointRow.parse(r),
      model: r.role,
      bands: r.levels.map((level, i) => ({ level, lower: r.lower[i] ?? 0, upper: r.upper[i] ?? 0 })),
    }));
}

/**
 * Actual volume per series key and day in [from, to), read as the forecasts were fitted (lane series,
 * per warehouse when asked); a day without a row had no shipments.
 */
export async function actualVolumes(
  store: Store,
  q: { measure: Measure; from: number; to: number; byWarehouse: boolean },
): Promise<Map<string, Map<number, number>>> {
  const series = await readLaneSeries(store, {
    measure: q.measure,
    byWarehouse: q.byWarehouse,
    end: q.to,
    historyDays: q.to - q.from,
    horizon: 0,
  });
  const out = new Map<string, Map<number, number>>();
  for (const s of series) {
    const days = new Map<number, number>();
    s.values.forEach((v, i) => {
      if (s.start + i >= q.from) days.set(s.start + i, v);
    });
    out.set(s.key, days);
  }
  return out;
}

/** The actuals of the series `points` name (per warehouse where a point has one), by series key and day. */
export async function liveActuals(
  store: Store,
  q: { measure: Measure; from: number; to: number },
  points: readonly LivePoint[],
): Promise<(key: string, day: number) => number> {
  const actuals = new Map<string, Map<number, number>>();
  for (const byWarehouse of [false, true]) {
    if (!points.some((p) => (p.warehouse !== '') === byWarehouse)) continue;
    for (const [k, v] of await actualVolumes(store, { ...q, byWarehouse })) actuals.set(k, v);
  }
  return (key, day) => actuals.get(key)?.get(day) ?? 0;
}
