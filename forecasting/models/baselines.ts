import { normalIntervals, residualSd } from './intervals.ts';
import type { Fitted, History, Model } from './model.ts';

/**
 * The three baselines every other model must beat. Intervals are normal with the in-sample residual
 * spread of the recent past (RESIDUAL_DAYS), widened with the horizon as each method implies
 * (Hyndman & Athanasopoulos, Forecasting: Principles and Practice, §5.5).
 */
const RESIDUAL_DAYS = 91;
export const WEEK = 7;
export const MOVING_AVERAGE_DAYS = 28;

/** Tomorrow looks like today. */
export const naive: Model = {
  name: 'naive',
  fit(history: History): Fitted {
    const y = history.values;
    const last = y.length > 0 ? (y[y.length - 1] ?? 0) : 0;
    const sigma = residualSd(laggedResiduals(y, 1));
    return {
      forecast(horizon, levels) {
        const mean = new Float64Array(horizon).fill(last);
        const sd = Array.from({ length: horizon }, (_, h) => sigma * Math.sqrt(h + 1));
        return { mean, intervals: normalIntervals(mean, sd, levels) };
      },
    };
  },
};

/** Next Monday looks like last Monday (falls back to naive with less than a week of history). */
export const seasonalNaive: Model = {
  name: 'seasonal-naive',
  fit(history: History): Fitted {
    const y = history.values;
    if (y.length < WEEK) return naive.fit(history);
    const sigma = residualSd(laggedResiduals(y, WEEK));
    const lastWeek = y.slice(y.length - WEEK);
    return {
      forecast(horizon, levels) {
        const mean = Float64Array.from({ length: horizon }, (_, h) => lastWeek[h % WEEK] ?? 0);
        const sd = Array.from({ length: horizon }, (_, h) => sigma * Math.sqrt(Math.floor(h / WEEK) + 1));
        return { mean, intervals: normalIntervals(mean, sd, levels) };
      },
    };
  },
};

/** The mean of the last four weeks (whole weeks, so no weekday is over-represented). */
export const movingAverage: Model = {
  name: 'moving-average',
  fit(history: History): Fitted {
    const y = history.values;
    const k = Math.min(MOVING_AVERAGE_DAYS, y.length);
    const level = k > 0 ? sum(y, y.length - k, y.length) / k : 0;
    // One-step residuals against the trailing mean, so the spread includes the mean's own error.
    const residuals: number[] = [];
    for (let t = Math.max(k, y.length - RESIDUAL_DAYS); t < y.length; t++) {
      if (k === 0) break;
      residuals.push((y[t] ?? 0) - sum(y, t - k, t) / k);
    }
    const sigma = residualSd(residuals);
    return {
      forecast(horizon, levels) {
        const mean = new Float64Array(horizon).fill(level);
        return { mean, intervals: normalIntervals(mean, new Array<number>(horizon).fill(sigma), levels) };
      },
    };
  },
};

function laggedResiduals(y: Float64Array, lag: number): number[] {
  const out: number[] = [];
  for (let t = Math.max(lag, y.length - RESIDUAL_DAYS); t < y.length; t++)
    out.push((y[t] ?? 0) - (y[t - lag] ?? 0));
  return out;
}

function sum(y: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = Math.max(0, from); i < to; i++) s += y[i] ?? 0;
  return s;
}
