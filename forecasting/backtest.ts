import { type Choice, choose, combineForecasts } from './combine.ts';
import { type BandedForecast, bandAtOrigin } from './conformal-backtest.ts';
import { formatDay } from './days.ts';
import {
  forecastOrFallback,
  type LocalJob,
  type LocalResult,
  type ModelForecast,
  runLocalJob,
} from './local-fit.ts';
import { maseScale } from './metrics.ts';
import type { GlobalModel, History, Model } from './models/model.ts';
import type { LaneSeries } from './series.ts';

/**
 * Rolling-origin backtest. The last `folds` windows of `horizon` days of the calendar are the test folds;
 * before the first of them sit `innerFolds` more windows. Every model is fitted at every origin on the
 * data before it only. For each test fold, per-lane selection and the ensemble are decided from the
 * `innerFolds` windows just before its origin (actuals known at that origin), never from the fold itself.
 *
 *   …history… | inner 1 | inner 2 | fold 1 | fold 2 | fold 3 | fold 4 |  (final: forecast past the end)
 */
export interface BacktestPlan {
  readonly horizon: number;
  readonly folds: number;
  readonly innerFolds: number;
  /** Interval levels in percent. */
  readonly levels: readonly number[];
  /** A lane is forecast at an origin only with at least this many days of history before it. */
  readonly minTrainDays: number;
  readonly seed: number;
  /** Days left out of scoring (peak weeks such as Black Friday), in inner and test folds alike. */
  readonly excluded: (day: number) => boolean;
  /** Also forecast from the end of the series: what `forecast run` stores. */
  readonly final: boolean;
  /**
   * Base models that selection and the ensemble may use (default: all that run). Others are scored side
   * by side only, as comparators.
   */
  readonly candidates?: readonly string[];
  /** Days between consecutive test-fold origins (default: the horizon; 7 for the rolling evaluation). */
  readonly step?: number;
}

export interface ModelSet {
  readonly local: readonly Model[];
  readonly global: readonly GlobalModel[];
}

/** Runs the per-lane models for many lanes (in-process by default; worker-pool.ts spreads them over threads). */
export type LocalRunner = (
  jobs: readonly LocalJob[],
  horizon: number,
  levels: readonly number[],
  onDone: (lanes: number) => void,
) => Promise<LocalResult[]>;

export interface FoldResult {
  /** First forecast day. */
  readonly origin: number;
  /** Observed volumes over the fold (empty for the final forecast). */
  readonly actuals: Float64Array;
  /** 1 where the day is left out of scoring. */
  readonly excluded: Uint8Array;
  /** MASE denominator from the history before the origin (null: undefined). */
  readonly maseScale: number | null;
  /** Per model, including `selected` and `ensemble`; intervals are conformal, the model's own kept as `raw`. */
  readonly forecasts: Readonly<Record<string, BandedForecast>>;
  readonly choice: Choice;
}

export interface LaneBacktest {
  readonly series: LaneSeries;
  readonly meanVolume: number;
  /** Test folds the lane was old enough for, oldest first. */
  readonly folds: readonly FoldResult[];
  readonly final?: FoldResult;
}

export interface BacktestResult {
  readonly plan: BacktestPlan;
  readonly baseModels: readonly string[];
  readonly candidates: readonly string[];
  readonly models: readonly string[];
  /** Test-fold origins (day numbers), oldest first. */
  readonly origins: readonly number[];
  /** First day after the data. */
  readonly end: number;
  readonly lanes: readonly LaneBacktest[];
  /** Per model: how many (lane, origin) fits failed and were replaced by the moving average. */
  readonly fallbacks: Readonly<Record<string, number>>;
  readonly timingsMs: Readonly<Record<string, number>>;
}

export interface BacktestHooks {
  readonly runLocal?: LocalRunner;
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

export const inProcessRunner =
  (models: readonly Model[]): LocalRunner =>
  async (jobs, horizon, levels, onDone) => {
    const out: LocalResult[] = [];
    for (const job of jobs) {
      out.push(runLocalJob(job, models, horizon, levels));
      onDone(1);
      // Yield between lanes so a global model training alongside and the progress bar both advance.
      if (out.length % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    return out;
  };

export async function runBacktest(
  series: readonly LaneSeries[],
  models: ModelSet,
  plan: BacktestPlan,
  hooks: BacktestHooks = {},
): Promise<BacktestResult> {
  if (series.length === 0) throw new RangeError('a backtest needs at least one series');
  const H = plan.horizon;
  const end = series.reduce((m, s) => Math.max(m, s.start + s.values.length), Number.NEGATIVE_INFINITY);
  const step = plan.step ?? H;
  const origins = Array.from({ length: plan.folds }, (_, k) => end - H - (plan.folds - 1 - k) * step);
  // Each fold's inner windows are the H-day windows just before its origin (other folds' origins or not).
  const inner = [
    ...new Set(origins.flatMap((o) => Array.from({ length: plan.innerFolds }, (_, j) => o - (j + 1) * H))),
  ]
    .filter((o) => !origins.includes(o))
    .sort((a, b) => a - b);
  const all = [...inner, ...origins, ...(plan.final ? [end] : [])];
  const lengthsOf = (s: LaneSeries) =>
    all.map((o) => o - s.start).filter((n) => n >= plan.minTrainDays && n <= s.values.length);

  const baseModels = [...models.local.map((m) => m.name), ...models.global.map((m) => m.name)];
  const candidates = plan.candidates ? baseModels.filter((m) => plan.candidates?.includes(m)) : baseModels;
  const total = series.length + all.length * models.global.length;
  let done = 0;
  const progress = (n: number, label: string) => {
    done += n;
    hooks.onProgress?.(done, total, label);
  };
  const timingsMs: Record<string, number> = {};

  const jobs: LocalJob[] = series.map((s, index) => ({
    index,
    start: s.start,
    values: s.values,
    regressors: s.regressors,
    lengths: lengthsOf(s),
  }));
  const runLocal = hooks.runLocal ?? inProcessRunner(models.local);
  const localStarted = performance.now();
  const localPromise = runLocal(jobs, H, plan.levels, (n) => progress(n, 'per-lane models')).then((r) => {
    timingsMs.local = performance.now() - localStarted;
    return r;
  });
  const globalPromise = runGlobal(series, models.global, all, plan, (label) => progress(1, label)).then(
    (r) => {
      timingsMs.global = r.ms;
      return r.byLane;
    },
  );
  const [local, global] = await Promise.all([localPromise, globalPromise]);

  const fallbacks: Record<string, number> = Object.fromEntries(baseModels.map((m) => [m, 0]));
  const localByIndex = new Map(local.map((r) => [r.index, r]));
  // Per lane and origin (inner ones too): every base model, plus `selected` and `ensemble` as decided
  // from the inner windows before that origin. Conformal bands need their past residuals as well.
  const perLane = series.map((s, index) => {
    const byOrigin = new Map<number, Record<string, ModelForecast>>();
    const localLanes = localByIndex.get(index);
    jobs[index]?.lengths.forEach((n, i) => {
      const merged: Record<string, ModelForecast> = { ...(localLanes?.forecasts[i] ?? {}) };
      const g = global.get(index)?.get(s.start + n);
      if (g) Object.assign(merged, g);
      for (const [name, f] of Object.entries(merged))
        if (f.fallback) fallbacks[name] = (fallbacks[name] ?? 0) + 1;
      byOrigin.set(s.start + n, merged);
    });
    const combined = new Map<number, Record<string, ModelForecast>>();
    const choices = new Map<number, Choice>();
    for (const [origin, forecasts] of byOrigin) {
      const choice = choose(innerScores(s, byOrigin, origin, plan), candidates);
      const all: Record<string, ModelForecast> = { ...forecasts };
      const selected = forecasts[choice.selected];
      if (selected) all.selected = selected;
      all.ensemble = combineForecasts(forecasts, choice.weights, plan.levels);
      combined.set(origin, all);
      choices.set(origin, choice);
    }
    return { series: s, byOrigin: combined, choices };
  });
  const bandsStarted = performance.now();
  const banded = new Map<number, (Record<string, BandedForecast> | undefined)[]>();
  for (const origin of [...origins, ...(plan.final ? [end] : [])])
    banded.set(origin, bandAtOrigin(perLane, origin, plan));
  timingsMs.bands = performance.now() - bandsStarted;

  const lanes: LaneBacktest[] = series.map((s, index) => {
    const foldAt = (origin: number): FoldResult | undefined => {
      const forecasts = banded.get(origin)?.[index];
      const choice = perLane[index]?.choices.get(origin);
      if (!forecasts || !choice) return undefined;
      const n = origin - s.start;
      const isFinal = origin === end && plan.final;
      const actuals = isFinal ? new Float64Array(0) : s.values.slice(n, n + H);
      if (!isFinal && actuals.length < H) return undefined;
      const excluded = Uint8Array.from({ length: isFinal ? 0 : H }, (_, h) =>
        plan.excluded(origin + h) ? 1 : 0,
      );
      return {
        origin,
        actuals,
        excluded,
        maseScale: maseScale(s.values.subarray(0, n)),
        forecasts,
        choice,
      };
    };
    const folds = origins.flatMap((o) => foldAt(o) ?? []);
    const final = plan.final ? foldAt(end) : undefined;
    let sum = 0;
    for (const v of s.values) sum += v;
    return {
      series: s,
      meanVolume: s.values.length ? sum / s.values.length : 0,
      folds,
      ...(final ? { final } : {}),
    };
  });
  return {
    plan,
    baseModels,
    candidates,
    models: [...baseModels, 'selected', 'ensemble'],
    origins,
    end,
    lanes,
    fallbacks,
    timingsMs,
  };
}

/** Absolute error of every base model over the inner windows before `origin` (scored days only). */
function innerScores(
  s: LaneSeries,
  byOrigin: ReadonlyMap<number, Readonly<Record<string, ModelForecast>>>,
  origin: number,
  plan: BacktestPlan,
): Map<string, { absError: number; points: number }> {
  const scores = new Map<string, { absError: number; points: number }>();
  for (let j = 1; j <= plan.innerFolds; j++) {
    const o = origin - j * plan.horizon;
    const forecasts = byOrigin.get(o);
    if (!forecasts) continue;
    for (const [name, f] of Object.entries(forecasts)) {
      let score = scores.get(name);
      if (!score) {
        score = { absError: 0, points: 0 };
        scores.set(name, score);
      }
      for (let h = 0; h < plan.horizon; h++) {
        const day = o + h;
        if (day >= origin || plan.excluded(day)) continue;
        score.absError += Math.abs((s.values[day - s.start] ?? 0) - (f.mean[h] ?? 0));
        score.points++;
      }
    }
  }
  return scores;
}

/** Trains each global model once per origin (oldest first, so fine-tuning only ever adds newer data). */
async function runGlobal(
  series: readonly LaneSeries[],
  models: readonly GlobalModel[],
  origins: readonly number[],
  plan: BacktestPlan,
  onStep: (label: string) => void,
): Promise<{ byLane: Map<number, Map<number, Record<string, ModelForecast>>>; ms: number }> {
  const started = performance.now();
  const byLane = new Map<number, Map<number, Record<string, ModelForecast>>>();
  for (const model of models) {
    for (const origin of origins) {
      const lanes = series.flatMap((s, index) => (origin - s.start >= 1 ? [{ s, index }] : []));
      const histories: History[] = lanes.map(({ s }) => ({
        start: s.start,
        values: s.values.subarray(0, Math.min(origin - s.start, s.values.length)),
        regressors: s.regressors,
      }));
      const trained = await model.train(histories, { horizon: plan.horizon, seed: plan.seed });
      const eligible = lanes.flatMap((l, i) => (origin - l.s.start >= plan.minTrainDays ? [i] : []));
      const eligibleHistories = eligible.flatMap((i) => histories[i] ?? []);
      const fitted = trained.fitMany
        ? trained.fitMany(eligibleHistories)
        : eligibleHistories.map((h) => trained.fit(h));
      eligible.forEach((i, k) => {
        const lane = lanes[i];
        const f = fitted[k];
        const h = histories[i];
        if (!lane || !f || !h) return;
        let perOrigin = byLane.get(lane.index);
        if (!perOrigin) {
          perOrigin = new Map();
          byLane.set(lane.index, perOrigin);
        }
        let at = perOrigin.get(origin);
        if (!at) {
          at = {};
          perOrigin.set(origin, at);
        }
        at[model.name] = forecastOrFallback({ name: model.name, fit: () => f }, h, plan.horizon, plan.levels);
      });
      onStep(`${model.name} trained to ${formatDay(origin - 1)}`);
      await new Promise((r) => setImmediate(r));
    }
  }
  return { byLane, ms: performance.now() - started };
}
