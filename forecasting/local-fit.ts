import { movingAverage } from './models/baselines.ts';
import type { Forecast, History, Model } from './models/model.ts';

/**
 * Runs the per-lane models of one lane at each backtest origin. Kept free of threads and I/O so the
 * same function runs in-process (tests, small inputs) and inside worker threads (worker-pool.ts).
 */
export interface LocalJob {
  readonly index: number;
  readonly start: number;
  readonly values: Float64Array;
  readonly regressors: Readonly<Record<string, Float64Array>>;
  /** Training lengths: the origin is the day `start + length`. */
  readonly lengths: readonly number[];
}

export interface ModelForecast extends Forecast {
  /** Set when the model failed on this history and the moving average stood in; the reason. */
  readonly fallback?: string;
}

export interface LocalResult {
  readonly index: number;
  /** Per entry of `lengths`, per model name. */
  readonly forecasts: readonly Readonly<Record<string, ModelForecast>>[];
}

export function runLocalJob(
  job: LocalJob,
  models: readonly Model[],
  horizon: number,
  levels: readonly number[],
): LocalResult {
  const forecasts = job.lengths.map((length) => {
    const history: History = {
      start: job.start,
      values: job.values.subarray(0, length),
      regressors: job.regressors,
    };
    const out: Record<string, ModelForecast> = {};
    for (const model of models) out[model.name] = forecastOrFallback(model, history, horizon, levels);
    return out;
  });
  return { index: job.index, forecasts };
}

export function forecastOrFallback(
  model: Model,
  history: History,
  horizon: number,
  levels: readonly number[],
): ModelForecast {
  try {
    const f = model.fit(history).forecast(horizon, levels);
    if (f.mean.length !== horizon || f.mean.some((v) => !Number.isFinite(v))) {
      throw new RangeError('non-finite or short forecast');
    }
    return f;
  } catch (err) {
    const f = movingAverage.fit(history).forecast(horizon, levels);
    return { ...f, fallback: err instanceof Error ? err.message : String(err) };
  }
}
