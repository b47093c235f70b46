import { z } from 'zod';
import { queryRows, type Store } from '../core/mod.ts';
import type { Measure } from './store.ts';
import type { Page } from './store-queries.ts';

/**
 * The forecast desk's reads: the lanes that have a stored forecast (searchable), each lane's latest run with
 * the accuracy of that same run, and a lane's actual daily volume. Rows are checked with zod.
 */
export interface DeskLaneFilter {
  readonly measure: Measure;
  /** Case-insensitive substring of "lane warehouse". */
  readonly q?: string;
  readonly lane?: string;
  readonly warehouse?: string;
}

const num = z.coerce.number();
const nullableNum = z.union([z.number(), z.null()]);

const laneRunRow = z.object({
  lane: z.string(),
  warehouse_id: z.string(),
  run_id: z.string(),
  created_at: z.string(),
  origin: z.string(),
  horizon: num,
  served: z.string(),
  levels: z.array(num),
});
export type LaneRun = z.output<typeof laneRunRow>;

const countRow = z.object({ n: num });

function where(f: DeskLaneFilter): { sql: string; params: Record<string, unknown> } {
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

/** One page of lanes with their latest forecast run (origin, horizon, levels), and how many lanes match. */
export async function laneRuns(
  store: Store,
  f: DeskLaneFilter,
  page: Page,
): Promise<{ runs: LaneRun[]; total: number }> {
  const w = where(f);
  // Aliases differ from the column names: ClickHouse would otherwise read the alias inside argMax.
  const perLane = `SELECT lane, warehouse_id, argMax(run_id, created_at) AS latest_run, toString(max(created_at)) AS latest_at
                   FROM ${store.table('forecasts')} WHERE ${w.sql} GROUP BY lane, warehouse_id`;
  const [count] = z
    .array(countRow)
    .parse(await queryRows<unknown>(store, `SELECT count() AS n FROM (${perLane})`, w.params));
  const runs = z.array(laneRunRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT l.lane AS lane, l.warehouse_id AS warehouse_id, l.latest_run AS run_id, l.latest_at AS created_at,
              toString(r.origin) AS origin, r.horizon AS horizon, r.served AS served, r.levels AS levels
       FROM (${perLane}) AS l
       INNER JOIN (SELECT run_id, origin, horizon, served, levels FROM ${store.table('forecast_runs')} FINAL) AS r
         ON l.latest_run = r.run_id
       ORDER BY lane, warehouse_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      { ...w.params, ...page },
    ),
  );
  return { runs, total: count?.n ?? 0 };
}

const runAccuracyRow = z.object({
  lane: z.string(),
  warehouse_id: z.string(),
  run_id: z.string(),
  backtested: z.string(),
  model: z.string(),
  served: num,
  selected_model: z.string(),
  weights: z.string(),
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
export type RunAccuracyRow = z.output<typeof runAccuracyRow>;

/** Every model's backtest accuracy stored by the given runs for their lanes (the run that made the forecast). */
export async function runAccuracy(
  store: Store,
  measure: Measure,
  runs: readonly LaneRun[],
): Promise<RunAccuracyRow[]> {
  if (runs.length === 0) return [];
  return z.array(runAccuracyRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT lane, warehouse_id, run_id, toString(backtested_at) AS backtested, model, served, selected_model, weights,
              folds, points, mape, mape_skipped_zeros, wape, smape, mase, bias, coverage_levels, coverage
       FROM ${store.table('forecast_accuracy')} FINAL
       WHERE measure = {measure:String}
         AND concat(lane, char(31), warehouse_id, char(31), run_id) IN {keys:Array(String)}
       ORDER BY lane, warehouse_id, model`,
      { measure, keys: runs.map((r) => [r.lane, r.warehouse_id, r.run_id].join('\u001f')) },
    ),
  );
}

const actualRow = z.object({ day: z.string(), volume: num });

/**
 * A lane's observed daily volume over [from, to) (dates YYYY-MM-DD), zero-filled from its first day in range. `warehouse` '' = every
 * warehouse of the lane together (as a run without --by-warehouse forecasts it).
 */
export async function laneActuals(
  store: Store,
  q: { measure: Measure; lane: string; warehouse: string; from: string; to: string },
): Promise<{ date: string; volume: number }[]> {
  if (q.from >= q.to) return [];
  const wh = q.warehouse === '' ? '' : 'AND warehouse_id = {warehouse:String}';
  const fill = 'ORDER BY day WITH FILL TO {to:Date} STEP 1';
  const sql =
    q.measure === 'committed'
      ? `SELECT day, toFloat64(uniqExactMerge(shipments)) AS volume FROM ${store.table('lane_daily_volume')}
         WHERE measure = 'committed' AND lane = {lane:String} ${wh} AND day >= {from:Date} AND day < {to:Date}
         GROUP BY day ${fill}`
      : `SELECT s.day AS day, toFloat64(uniqExact(s.shipment_id)) AS volume
         FROM (SELECT shipment_id, argMin(warehouse_id, occurred_at) AS warehouse_id, toDate(min(occurred_at)) AS day
               FROM ${store.table('events')} WHERE type = 'wms.ship_scan' AND shipment_id != '' GROUP BY shipment_id) AS s
         INNER JOIN (SELECT shipment_id FROM ${store.table('events')}
               WHERE type = 'shipment.committed' AND lane = {lane:String} GROUP BY shipment_id) AS c USING (shipment_id)
         WHERE s.day >= {from:Date} AND s.day < {to:Date} ${wh.replace('warehouse_id', 's.warehouse_id')}
         GROUP BY day ${fill}`;
  const rows = z.array(actualRow).parse(await queryRows<unknown>(store, sql, q));
  return rows.map((r) => ({ date: r.day, volume: r.volume }));
}
