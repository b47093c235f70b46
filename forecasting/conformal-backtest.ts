import { calibrator, conformalIntervals, type LaneScores, type PoolSource, pointScale } from './conformal.ts';
import type { ModelForecast } from './local-fit.ts';
import type { Interval } from './models/model.ts';
import type { LaneSeries } from './series.ts';

/**
 * Puts conformal bands (conformal.ts) on the backtest's forecasts: at each origin, every model's band
 * (base models, `selected`, `ensemble`) comes from that model's residuals at the earlier origins of the
 * backtest (inner windows and earlier test folds), on days before the origin only and never on days left
 * out of scoring. The model's own intervals are kept as `raw`.
 */
export interface BandedForecast extends ModelForecast {
  /** The model's own intervals, before calibration. */
  readonly raw?: readonly Interval[];
  /** Where the band's residuals came from (at the first step), and how many. */
  readonly band?: { readonly source: PoolSource; readonly n: number; readonly lanes: number };
}

/** Days before the origin whose mean volume decides which lanes are similar. */
export const VOLUME_WINDOW = 91;

export interface LaneOrigins {
  readonly series: LaneSeries;
  /** Every model's forecast (with `selected` and `ensemble`) at every origin the lane was forecast from. */
  readonly byOrigin: ReadonlyMap<number, Readonly<Record<string, ModelForecast>>>;
}

export interface BandPlan {
  readonly horizon: number;
  readonly levels: readonly number[];
  readonly excluded: (day: number) => boolean;
}

/**
 * Scores of `model` on `lane` from the origins before `origin`, for days before `origin` that are not
 * excluded (typed arrays: a backtest makes millions of them).
 */
export function scoresBefore(
  lane: LaneOrigins,
  model: string,
  origin: number,
  plan: BandPlan,
  volume: number,
): LaneScores {
  const { start, values } = lane.series;
  let n = 0;
  for (const [o, forecasts] of lane.byOrigin) {
    const f = forecasts[model];
    if (o < origin && f) n += Math.min(f.mean.length, origin - o);
  }
  const scores = new Float64Array(n);
  const steps = new Uint16Array(n);
  let k = 0;
  for (const [o, forecasts] of lane.byOrigin) {
    const f = forecasts[model];
    if (o >= origin || !f) continue;
    for (let h = 0; h < f.mean.length && o + h < origin; h++) {
      const i = o + h - start;
      if (i < 0 || i >= values.length || plan.excluded(o + h)) continue;
      const forecast = f.mean[h] ?? 0;
      scores[k] = ((values[i] ?? 0) - forecast) / pointScale(forecast);
      steps[k++] = h;
    }
  }
  return { volume, scores: scores.subarray(0, k), steps: steps.subarray(0, k) };
}

function recentVolume(series: LaneSeries, origin: number): number {
  const end = Math.min(origin - series.start, series.values.length);
  const from = Math.max(0, end - VOLUME_WINDOW);
  let sum = 0;
  for (let i = from; i < end; i++) sum += series.values[i] ?? 0;
  return end > from ? sum / (end - from) : 0;
}

/**
 * Conformal bands for every lane's forecasts at `origin` (lanes without a forecast there: undefined).
 * Models are taken from each lane's forecasts at the origin.
 */
export function bandAtOrigin(
  lanes: readonly LaneOrigins[],
  origin: number,
  plan: BandPlan,
): (Record<string, BandedForecast> | undefined)[] {
  const models = new Set<string>();
  for (const l of lanes) for (const m of Object.keys(l.byOrigin.get(origin) ?? {})) models.add(m);
  const out: (Record<string, BandedForecast> | undefined)[] = lanes.map((l) =>
    l.byOrigin.has(origin) ? {} : undefined,
  );
  const volumes = lanes.map((l) => recentVolume(l.series, origin));
  for (const model of models) {
    const scores = lanes.map((l, i) => scoresBefore(l, model, origin, plan, volumes[i] ?? 0));
    const calibrate = calibrator(scores, plan.horizon, plan.levels);
    lanes.forEach((l, i) => {
      const f = l.byOrigin.get(origin)?.[model];
      const target = out[i];
      if (!f || !target) return;
      const steps = calibrate(i);
      const first = steps[0];
      target[model] = {
        ...f,
        intervals: conformalIntervals(f.mean, steps, plan.levels, f.intervals),
        raw: f.intervals,
        ...(first ? { band: { source: first.source, n: first.n, lanes: first.lanes } } : {}),
      };
    });
  }
  return out;
}
