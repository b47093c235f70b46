import { createHash } from 'node:crypto';
import { median } from 'simple-statistics';
import { chTime, type Store } from '../core/mod.ts';
import { dayFromMs, formatDay } from './days.ts';
import { type LivePoint, liveActuals, servedForecastPoints } from './live-accuracy-queries.ts';
import { mape, wape } from './metrics.ts';
import { seriesKey } from './series.ts';
import type { Measure } from './store.ts';

/**
 * Forecast accuracy as a live KPI: every stored forecast of the served model is scored as its actuals
 * arrive. What is scored (fixed, so the figure means the same from day to day):
 *  - days: the last LIVE_WINDOW_DAYS complete days (a day is complete once it is over, UTC);
 *  - lead: the forecasts made 1..LIVE_MAX_STEP days ahead (step 1 = the run's first day, made on that
 *    day from the days before it). One forecast per lane, day and step: the last run of its origin day,
 *    so how often the scheduler runs does not weight the score. Each (day, step) pair is a point.
 *  - per lane: MAPE (points with actual > 0) and WAPE Σ|a − f| / Σa, as the backtests compute them;
 *  - network: MAPE = the median of the lanes' MAPE (what the KPI strip shows, the same statistic as its
 *    backtest fallback), WAPE pooled over every lane's points (volume-weighted).
 */
export const LIVE_WINDOW_DAYS = 28;
export const LIVE_MAX_STEP = 7;

export interface LaneLiveScore {
  readonly lane: string;
  readonly warehouse: string;
  readonly points: number;
  readonly days: number;
  readonly actual: number;
  readonly mape: number | null;
  readonly wape: number | null;
}

export interface LiveAccuracy {
  readonly measure: Measure;
  /** First and last scored day (YYYY-MM-DD). */
  readonly from: string;
  readonly to: string;
  readonly maxStep: number;
  readonly lanes: readonly LaneLiveScore[];
  readonly network: {
    readonly mape: number | null;
    /** Lanes with a MAPE (the median's population). */
    readonly mapeLanes: number;
    readonly wape: number | null;
    readonly points: number;
  };
}

/** Scores points against actuals (`actual(key, day)`, 0 when unknown: a day without a row had none). */
export function scoreLive(
  points: readonly LivePoint[],
  actual: (key: string, day: number) => number,
): { lanes: LaneLiveScore[]; network: LiveAccuracy['network'] } {
  const byLane = new Map<string, LivePoint[]>();
  for (const p of points) {
    const key = seriesKey(p.lane, p.warehouse);
    const list = byLane.get(key) ?? [];
    list.push(p);
    byLane.set(key, list);
  }
  const lanes: LaneLiveScore[] = [];
  const allA: number[] = [];
  const allF: number[] = [];
  for (const [key, list] of byLane) {
    const a = list.map((p) => actual(key, p.day));
    const f = list.map((p) => p.mean);
    allA.push(...a);
    allF.push(...f);
    const first = list[0] as LivePoint;
    lanes.push({
      lane: first.lane,
      warehouse: first.warehouse,
      points: list.length,
      days: new Set(list.map((p) => p.day)).size,
      actual: [...new Set(list.map((p) => p.day))].reduce((s, d) => s + actual(key, d), 0),
      mape: mape(a, f),
      wape: wape(a, f),
    });
  }
  lanes.sort((x, y) => (x.lane === y.lane ? cmp(x.warehouse, y.warehouse) : cmp(x.lane, y.lane)));
  const mapes = lanes.map((l) => l.mape).filter((m): m is number => m !== null);
  return {
    lanes,
    network: {
      mape: mapes.length ? median(mapes) : null,
      mapeLanes: mapes.length,
      wape: wape(allA, allF),
      points: allA.length,
    },
  };
}

/** The live score as of `nowMs`: undefined when no served forecast covers a complete day of the window. */
export async function liveAccuracy(
  store: Store,
  q: { measure: Measure; nowMs: number },
): Promise<LiveAccuracy | undefined> {
  const to = dayFromMs(q.nowMs);
  const from = to - LIVE_WINDOW_DAYS;
  const points = await servedForecastPoints(store, { measure: q.measure, from, to, maxStep: LIVE_MAX_STEP });
  if (points.length === 0) return undefined;
  const scored = scoreLive(points, await liveActuals(store, { measure: q.measure, from, to }, points));
  return {
    measure: q.measure,
    from: formatDay(from),
    to: formatDay(to - 1),
    maxStep: LIVE_MAX_STEP,
    ...scored,
  };
}

/** What the lead and window are, in a KPI's words. */
export function liveScope(live: LiveAccuracy): string {
  return `forecasts 1–${live.maxStep} days ahead, complete days ${live.from}..${live.to}`;
}

/**
 * The forecast_mape KPI alert: one per measure and scored day while the network MAPE is above the
 * policy's `telemetry.kpis.forecast_mape.threshold_alert` (its id is deterministic, so the checks of one
 * day store one alert). Stored with the forecast-delta alerts (kind `forecast_mape`).
 */
export interface AccuracyAlertRow {
  readonly id: string;
  readonly kind: 'forecast_mape';
  readonly measure: Measure;
  readonly value: number;
  readonly threshold: number;
  readonly windowStart: string;
  readonly windowEnd: string;
}

export function accuracyAlert(live: LiveAccuracy, threshold: number): AccuracyAlertRow | undefined {
  const value = live.network.mape;
  if (value === null || !(value > threshold)) return undefined;
  const id = `forecast_mape:${createHash('sha256').update([live.measure, live.to].join('\u001f')).digest('hex').slice(0, 24)}`;
  return {
    id,
    kind: 'forecast_mape',
    measure: live.measure,
    value,
    threshold,
    windowStart: live.from,
    windowEnd: live.to,
  };
}

/** Scores now and stores an alert when the threshold is crossed; returns it (or undefined). */
export async function checkAccuracyAlert(
  store: Store,
  q: { measure: Measure; threshold: number | undefined; nowMs: number },
): Promise<AccuracyAlertRow | undefined> {
  if (q.threshold === undefined) return undefined;
  const live = await liveAccuracy(store, q);
  const alert = live && accuracyAlert(live, q.threshold);
  if (!alert) return undefined;
  await store.client.insert({
    table: store.table('forecast_alerts'),
    format: 'JSONEachRow',
    values: [
      {
        id: alert.id,
        kind: alert.kind,
        created_at: chTime(q.nowMs),
        measure: alert.measure,
        lane: '',
        warehouse_id: '',
        run_id: '',
        previous_run_id: '',
        window_start: alert.windowStart,
        window_end: alert.windowEnd,
        previous_volume: 0,
        new_volume: 0,
        change: 0,
        value: alert.value,
        threshold: alert.threshold,
        direction: 'up',
      },
    ],
  });
  return alert;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
