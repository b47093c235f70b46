import { z } from 'zod';
import { chTime, queryRows, type Store } from '../core/mod.ts';
import type { Measure } from './store.ts';

/**
 * The planner API's reads: the latest stored forecast, accuracy and alerts per lane, a page at a time.
 * "Latest" is per lane (and warehouse), so a run restricted to a few lanes does not hide the others.
 */
export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export interface LaneFilter {
  readonly measure: Measure;
  /** Case-insensitive substring of "lane warehouse". */
  readonly q?: string;
  readonly lane?: string;
  readonly warehouse?: string;
}

const num = z.coerce.number();
const nullableNum = z.union([z.number(), z.null()]);

const latestRunRow = z.object({
  lane: z.string(),
  warehouse_id: z.string(),
  run_id: z.string(),
  created_at: z.string(),
  origin: z.string(),
  horizon: num,
  served: z.string(),
  levels: z.array(num),
});
const forecastRow = z.object({
  lane: z.string(),
  warehouse_id: z.string(),
  run_id: z.string(),
  model: z.string(),
  date: z.string(),
  step: num,
  mean: z.number(),
  levels: z.array(num),
  lower: z.array(z.number()),
  upper: z.array(z.number()),
});
const countRow = z.object({ n: num });

function laneWhere(f: LaneFilter): { sql: string; params: Record<string, unknown> } {
  const parts = ['measure = {measure:String}'];
  const params: Record<string, unknown> = { measure: f.measure };
  if (f.q) {
    parts.push("positionCaseInsensitiveUTF8(concat(lane, ' ', warehouse_id), {q:String}) > 0");
    params.q = f.q;
  }
  if (f.lane !== undefined) {
    parts.push('lane = {lane:String}');
    params.lane = f.lane;
  }
  if (f.warehouse !== undefined) {
    parts.push('warehouse_id = {warehouse:String}');
    params.warehouse = f.warehouse;
  }
  return { sql: parts.join(' AND '), params };
}

export type LatestRun = z.output<typeof latestRunRow>;
export type StoredForecastRow = z.output<typeof forecastRow>;

/** How many rows `from` (a table with its WHERE, or a parenthesised subquery) holds. */
export async function countOf(store: Store, from: string, params: Record<string, unknown>): Promise<number> {
  const [row] = z
    .array(countRow)
    .parse(await queryRows<unknown>(store, `SELECT count() AS n FROM ${from}`, params));
  return row?.n ?? 0;
}

/** Selects the rows of the given runs (`keys: runKeys(runs)`), one lane and warehouse each. */
export const RUN_KEY_IN = 'concat(lane, char(31), warehouse_id, char(31), run_id) IN {keys:Array(String)}';
export const runKeys = (runs: readonly LatestRun[]) =>
  runs.map((r) => [r.lane, r.warehouse_id, r.run_id].join('\u001f'));

/** One page of lanes with their latest forecast run (origin, horizon, levels), and how many lanes match. */
export async function latestRuns(
  store: Store,
  f: LaneFilter,
  page: Page,
): Promise<{ runs: LatestRun[]; total: number }> {
  const where = laneWhere(f);
  // Aliases differ from the column names: ClickHouse would otherwise read the alias inside argMax.
  const perLane = `SELECT lane, warehouse_id, argMax(run_id, created_at) AS latest_run, toString(max(created_at)) AS latest_at
                   FROM ${store.table('forecasts')} WHERE ${where.sql} GROUP BY lane, warehouse_id`;
  const total = await countOf(store, `(${perLane})`, where.params);
  const runs = z.array(latestRunRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT l.lane AS lane, l.warehouse_id AS warehouse_id, l.latest_run AS run_id, l.latest_at AS created_at,
              toString(r.origin) AS origin, r.horizon AS horizon, r.served AS served, r.levels AS levels
       FROM (${perLane}) AS l
       INNER JOIN (SELECT run_id, origin, horizon, served, levels FROM ${store.table('forecast_runs')} FINAL) AS r
         ON l.latest_run = r.run_id
       ORDER BY lane, warehouse_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      { ...where.params, ...page },
    ),
  );
  return { runs, total };
}

export async function forecastRows(
  store: Store,
  measure: Measure,
  runs: readonly LatestRun[],
  model: string | undefined,
  horizon: number,
): Promise<StoredForecastRow[]> {
  if (runs.length === 0) return [];
  return z.array(forecastRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT lane, warehouse_id, run_id, model, toString(day) AS date, step, mean, levels, lower, upper
       FROM ${store.table('forecasts')} FINAL
       WHERE measure = {measure:String} AND ${RUN_KEY_IN}
         AND step <= {horizon:UInt16} AND model = if({model:String} = '', {served:String}, {model:String})
       ORDER BY lane, warehouse_id, step`,
      {
        measure,
        keys: runKeys(runs),
        horizon,
        model: model ?? '',
        served: runs[0]?.served ?? 'ensemble',
      },
    ),
  );
}

const accuracyRow = z.object({
  lane: z.string(),
  warehouse_id: z.string(),
  run_id: z.string(),
  backtested: z.string(),
  model: z.string(),
  served: num,
  selected_model: z.string(),
  weights: z.string(),
  horizon: num,
  folds: num,
  points: num,
  mape: nullableNum,
  mape_skipped_zeros: num,
  wape: nullableNum,
  smape: nullableNum,
  mase: nullableNum,
  bias: nullableNum,
  coverage_levels: z.array(num),
  coverage: z.array(nullableNum),
});
export type StoredAccuracyRow = z.output<typeof accuracyRow>;
const ACCURACY_COLUMNS = `lane, warehouse_id, run_id, toString(backtested_at) AS backtested, model, served, selected_model,
              weights, horizon, folds, points, mape, mape_skipped_zeros, wape, smape, mase, bias, coverage_levels, coverage`;

/** The latest backtest per lane: the served model's row, or the named model's. */
export async function accuracyRows(
  store: Store,
  f: LaneFilter,
  model: string | undefined,
  page: Page,
): Promise<{ rows: StoredAccuracyRow[]; total: number }> {
  const where = laneWhere(f);
  const modelSql = model === undefined ? 'served = 1' : 'model = {model:String}';
  const params = { ...where.params, ...(model === undefined ? {} : { model }) };
  const latest = `SELECT lane, warehouse_id, argMax(run_id, backtested_at) AS latest_run FROM ${store.table('forecast_accuracy')}
                  WHERE ${where.sql} AND ${modelSql} GROUP BY lane, warehouse_id`;
  const total = await countOf(store, `(${latest})`, params);
  const rows = z.array(accuracyRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT ${ACCURACY_COLUMNS}
       FROM ${store.table('forecast_accuracy')} FINAL
       WHERE ${where.sql} AND ${modelSql} AND (lane, warehouse_id, run_id) IN (SELECT lane, warehouse_id, latest_run FROM (${latest}))
       ORDER BY lane, warehouse_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      { ...params, ...page },
    ),
  );
  return { rows, total };
}

/** Every model's backtest accuracy stored by the given runs for their lanes (the run that made the forecast). */
export async function runAccuracy(
  store: Store,
  measure: Measure,
  runs: readonly LatestRun[],
): Promise<StoredAccuracyRow[]> {
  if (runs.length === 0) return [];
  return z.array(accuracyRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT ${ACCURACY_COLUMNS}
       FROM ${store.table('forecast_accuracy')} FINAL
       WHERE measure = {measure:String} AND ${RUN_KEY_IN}
       ORDER BY lane, warehouse_id, model`,
      { measure, keys: runKeys(runs) },
    ),
  );
}

const alertRow = z.object({
  id: z.string(),
  created: z.string(),
  lane: z.string(),
  warehouse_id: z.string(),
  run_id: z.string(),
  previous_run_id: z.string(),
  window_from: z.string(),
  window_to: z.string(),
  previous_volume: z.number(),
  new_volume: z.number(),
  change: z.number(),
  threshold: z.number(),
  direction: z.string(),
  kind: z.string(),
  value: nullableNum,
});
export type StoredAlertRow = z.output<typeof alertRow>;

export async function alertRows(
  store: Store,
  f: LaneFilter & { readonly sinceMs?: number },
  page: Page,
): Promise<{ rows: StoredAlertRow[]; total: number }> {
  const where = laneWhere(f);
  const since = f.sinceMs === undefined ? '' : " AND created_at >= {since:DateTime64(3, 'UTC')}";
  const params = { ...where.params, ...(f.sinceMs === undefined ? {} : { since: chTime(f.sinceMs) }) };
  const table = `${store.table('forecast_alerts')} FINAL WHERE ${where.sql}${since}`;
  const total = await countOf(store, table, params);
  const rows = z.array(alertRow).parse(
    await queryRows<unknown>(
      store,
      // Text columns get new names: an alias equal to a column name would replace it in WHERE and ORDER BY.
      `SELECT id, toString(created_at) AS created, lane, warehouse_id, run_id, previous_run_id,
              toString(window_start) AS window_from, toString(window_end) AS window_to,
              previous_volume, new_volume, change, threshold, direction, kind, value
       FROM ${table} ORDER BY created_at DESC, id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      { ...params, ...page },
    ),
  );
  return { rows, total };
}

/** Whether any forecast exists for the lane (tells "unknown lane" from "empty page"). */
export async function laneKnown(store: Store, f: LaneFilter): Promise<boolean> {
  const where = laneWhere(f);
  return (await countOf(store, `${store.table('forecast_accuracy')} WHERE ${where.sql}`, where.params)) > 0;
}
