import { z } from 'zod';
import { chTime, queryRows, type Store } from '../core/mod.ts';
import type { ForecastAlert, ForecastPath } from './alerts.ts';
import { formatDay, parseDay } from './days.ts';
import { calendarRegressors, type HolidayRegion } from './holidays.ts';
import { buildSeries, type LaneSeries, seriesKey } from './series.ts';

/**
 * The ClickHouse adapter of forecasting: lane series out of the events (zero-filled by ClickHouse's
 * WITH FILL), forecasts, accuracy and alerts in, and the planner API's reads. Rows read back are
 * checked with zod; 64-bit counts are cast to Float64 in SQL so JSON carries numbers.
 */
export type Measure = 'committed' | 'shipped';

export interface SeriesQuery {
  readonly measure: Measure;
  readonly byWarehouse: boolean;
  /** First day not included (the current, incomplete day). */
  readonly end: number;
  readonly historyDays: number;
  /** Regressor days needed past `end` (the forecast horizon). */
  readonly horizon: number;
  readonly region?: HolidayRegion;
}

const dayText = z.string().transform((s, ctx) => {
  const d = parseDay(s);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a date YYYY-MM-DD' });
    return z.NEVER;
  }
  return d;
});
const volumeRow = z.object({
  lane: z.string(),
  warehouse_id: z.string(),
  day: dayText,
  volume: z.coerce.number(),
});
const dueRow = z.object({ lane: z.string(), warehouse_id: z.string(), day: dayText, due: z.coerce.number() });

export async function readLaneSeries(store: Store, q: SeriesQuery): Promise<LaneSeries[]> {
  const events = store.table('events');
  const wh = q.byWarehouse ? 'warehouse_id' : "''";
  const params = { from: formatDay(q.end - q.historyDays), end: formatDay(q.end) };
  const fill = 'ORDER BY lane, warehouse_id, day WITH FILL TO {end:Date} STEP 1';
  const sql =
    q.measure === 'committed'
      ? `SELECT lane, ${wh} AS warehouse_id, day, toFloat64(uniqExactMerge(shipments)) AS volume
         FROM ${store.table('lane_daily_volume')}
         WHERE measure = 'committed' AND day >= {from:Date} AND day < {end:Date}
         GROUP BY lane, warehouse_id, day ${fill}`
      : `SELECT c.committed_lane AS lane, ${q.byWarehouse ? 's.warehouse_id' : "''"} AS warehouse_id, s.day AS day,
                toFloat64(uniqExact(s.shipment_id)) AS volume
         FROM (SELECT shipment_id, argMin(warehouse_id, occurred_at) AS warehouse_id, toDate(min(occurred_at)) AS day
               FROM ${events} WHERE type = 'wms.ship_scan' AND shipment_id != '' GROUP BY shipment_id) AS s
         INNER JOIN (SELECT shipment_id, any(lane) AS committed_lane FROM ${events}
               WHERE type = 'shipment.committed' AND lane != '' GROUP BY shipment_id) AS c USING (shipment_id)
         WHERE s.day >= {from:Date} AND s.day < {end:Date}
         GROUP BY lane, warehouse_id, day ${fill}`;
  const rows = z.array(volumeRow).parse(await queryRows<unknown>(store, sql, params));
  const series = buildSeries(
    rows.map((r) => ({ lane: r.lane, warehouse: r.warehouse_id, day: r.day, volume: r.volume })),
    { end: q.end - 1 },
  );
  const due = q.measure === 'shipped' ? await readDue(store, q) : undefined;
  return series.map((s) => {
    const length = s.values.length + q.horizon;
    const regressors: Record<string, Float64Array> = q.region
      ? calendarRegressors(q.region, s.start, length)
      : {};
    if (due) {
      const r = new Float64Array(length);
      for (const [day, n] of due.get(s.key) ?? [])
        if (day >= s.start && day < s.start + length) r[day - s.start] = n;
      regressors.due = r;
    }
    return { ...s, regressors };
  });
}

/**
 * Known future commitments: shipments committed (and not cancelled) per promised ship day. For the
 * shipped measure they are the part of tomorrow's volume already known today.
 */
async function readDue(store: Store, q: SeriesQuery): Promise<Map<string, Map<number, number>>> {
  const events = store.table('events');
  const wh = q.byWarehouse ? 'warehouse_id' : "''";
  const rows = z.array(dueRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT lane, ${wh} AS warehouse_id, day, toFloat64(uniqExact(shipment_id)) AS due FROM (
         SELECT lane, warehouse_id, shipment_id,
                toDate(parseDateTime64BestEffortOrNull(JSONExtractString(payload, 'promisedShipBy'))) AS day
         FROM ${events} WHERE type = 'shipment.committed' AND lane != ''
           AND shipment_id NOT IN (SELECT shipment_id FROM ${events} WHERE type = 'shipment.cancelled'))
       WHERE day IS NOT NULL AND day >= {from:Date} AND day < {until:Date}
       GROUP BY lane, warehouse_id, day`,
      { from: formatDay(q.end - q.historyDays), until: formatDay(q.end + q.horizon) },
    ),
  );
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const key = seriesKey(r.lane, r.warehouse_id);
    let m = out.get(key);
    if (!m) {
      m = new Map();
      out.set(key, m);
    }
    m.set(r.day, r.due);
  }
  return out;
}

export interface RunRow {
  readonly runId: string;
  readonly createdAt: number;
  readonly measure: Measure;
  readonly origin: number;
  readonly horizon: number;
  readonly lanes: number;
  readonly served: string;
  readonly models: readonly string[];
  readonly levels: readonly number[];
  readonly params: Readonly<Record<string, unknown>>;
}

export interface ForecastRow {
  readonly lane: string;
  readonly warehouse: string;
  readonly model: string;
  readonly origin: number;
  readonly mean: ArrayLike<number>;
  readonly intervals: readonly { level: number; lower: ArrayLike<number>; upper: ArrayLike<number> }[];
}

export interface AccuracyRow {
  readonly lane: string;
  readonly warehouse: string;
  readonly model: string;
  readonly served: boolean;
  readonly selectedModel: string;
  readonly weights: Readonly<Record<string, number>>;
  readonly folds: number;
  readonly points: number;
  readonly mape: number | null;
  readonly mapeSkippedZeros: number;
  readonly wape: number | null;
  readonly smape: number | null;
  readonly mase: number | null;
  readonly bias: number | null;
  readonly coverage: Readonly<Record<string, number | null>>;
}

/** Stores one run: accuracy, forecasts and alerts first, the run row last (readers look runs up by it). */
export async function writeRun(
  store: Store,
  run: RunRow,
  forecasts: readonly ForecastRow[],
  accuracy: readonly AccuracyRow[],
  alerts: readonly ForecastAlert[],
): Promise<void> {
  const created = chTime(run.createdAt);
  const base = { run_id: run.runId, measure: run.measure };
  const forecastValues = forecasts.flatMap((f) =>
    Array.from(f.mean, (mean, step) => ({
      ...base,
      created_at: created,
      lane: f.lane,
      warehouse_id: f.warehouse,
      model: f.model,
      day: formatDay(f.origin + step),
      step: step + 1,
      mean,
      levels: f.intervals.map((i) => i.level),
      lower: f.intervals.map((i) => i.lower[step] ?? 0),
      upper: f.intervals.map((i) => i.upper[step] ?? 0),
    })),
  );
  const accuracyValues = accuracy.map((a) => ({
    ...base,
    backtested_at: created,
    lane: a.lane,
    warehouse_id: a.warehouse,
    model: a.model,
    served: a.served ? 1 : 0,
    selected_model: a.selectedModel,
    weights: JSON.stringify(a.weights),
    horizon: run.horizon,
    folds: a.folds,
    points: a.points,
    mape: a.mape,
    mape_skipped_zeros: a.mapeSkippedZeros,
    wape: a.wape,
    smape: a.smape,
    mase: a.mase,
    bias: a.bias,
    coverage_levels: Object.keys(a.coverage).map(Number),
    coverage: Object.values(a.coverage),
  }));
  const alertValues = alerts.map((a) => ({
    id: a.id,
    created_at: created,
    measure: run.measure,
    lane: a.lane,
    warehouse_id: a.warehouse,
    run_id: a.runId,
    previous_run_id: a.previousRunId,
    window_start: formatDay(a.windowStart),
    window_end: formatDay(a.windowEnd),
    previous_volume: a.previousVolume,
    new_volume: a.newVolume,
    change: a.change,
    threshold: a.threshold,
    direction: a.direction,
  }));
  const insert = async (table: string, values: readonly object[]) => {
    for (let i = 0; i < values.length; i += 50_000) {
      await store.client.insert({
        table: store.table(table),
        values: values.slice(i, i + 50_000),
        format: 'JSONEachRow',
      });
    }
  };
  await insert('forecast_accuracy', accuracyValues);
  await insert('forecasts', forecastValues);
  await insert('forecast_alerts', alertValues);
  await insert('forecast_runs', [
    {
      run_id: run.runId,
      created_at: created,
      measure: run.measure,
      origin: formatDay(run.origin),
      horizon: run.horizon,
      lanes: run.lanes,
      served: run.served,
      models: run.models,
      levels: run.levels,
      params: JSON.stringify(run.params),
    },
  ]);
}

const pathRow = z.object({
  lane: z.string(),
  warehouse_id: z.string(),
  run_id: z.string(),
  day: dayText,
  mean: z.number(),
});

/** The served forecast of the latest stored run per lane (the baseline of forecast-delta alerts). */
export async function latestServedPaths(store: Store, measure: Measure): Promise<Map<string, ForecastPath>> {
  const rows = z.array(pathRow).parse(
    await queryRows<unknown>(
      store,
      `WITH latest AS (SELECT run_id, served FROM ${store.table('forecast_runs')} FINAL
                       WHERE measure = {measure:String} ORDER BY created_at DESC LIMIT 1)
       SELECT lane, warehouse_id, run_id, day, mean FROM ${store.table('forecasts')} FINAL
       WHERE measure = {measure:String} AND run_id IN (SELECT run_id FROM latest)
         AND model IN (SELECT served FROM latest)
       ORDER BY lane, warehouse_id, day`,
      { measure },
    ),
  );
  const out = new Map<string, { runId: string; origin: number; mean: number[] }>();
  for (const r of rows) {
    const key = seriesKey(r.lane, r.warehouse_id);
    let p = out.get(key);
    if (!p) {
      p = { runId: r.run_id, origin: r.day, mean: [] };
      out.set(key, p);
    }
    p.mean.push(r.mean);
  }
  return out;
}

const latestRow = z.object({ last: z.string().nullable() });

/** The day after the last day with stored volume (for replays of past data), or undefined. */
export async function latestDay(store: Store, measure: Measure): Promise<number | undefined> {
  const sql =
    measure === 'committed'
      ? `SELECT if(count() = 0, NULL, toString(max(day))) AS last FROM ${store.table('lane_daily_volume')} WHERE measure = 'committed'`
      : `SELECT if(count() = 0, NULL, toString(toDate(max(occurred_at)))) AS last FROM ${store.table('events')} WHERE type = 'wms.ship_scan'`;
  const [row] = z.array(latestRow).parse(await queryRows<unknown>(store, sql));
  const last = row?.last ? parseDay(row.last) : undefined;
  return last === undefined ? undefined : last + 1;
}
