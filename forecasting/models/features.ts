import { weekday } from '../days.ts';
import type { History } from './model.ts';

/**
 * Features of the global model for one lane at one forecast origin (index `t`: the first day to forecast).
 * Everything is divided by the lane's recent level `scale`, so a 2-a-day lane and a 200-a-day lane share
 * one network (the M5 lesson); `log1p(scale)` tells the network which regime it is in.
 *
 * Layout: LAGS scaled lags | 3 level ratios (7, 91, 182 days) | share of zero days | log1p(scale)
 *         | weekday one-hot of day t | each regressor over the horizon (known future inputs only).
 */
export const LAGS = 28;
const SCALE_DAYS = 56;
const MAX_SCALED_INPUT = 10;

export interface FeatureLayout {
  readonly horizon: number;
  readonly regressors: readonly string[];
  readonly size: number;
  /**
   * Regressors seen non-zero in the training history. The others are fed as 0: a flag the network never
   * saw set (the first Black Friday) would meet untrained weights and move the forecast at random.
   */
  readonly active?: ReadonlySet<string>;
}

export function featureLayout(horizon: number, regressors: readonly string[]): FeatureLayout {
  return { horizon, regressors, size: LAGS + 3 + 1 + 1 + 7 + regressors.length * horizon };
}

/** Names of the regressors with a non-zero value somewhere in the observed part of the histories. */
export function activeRegressors(histories: readonly History[], names: readonly string[]): Set<string> {
  const active = new Set<string>();
  for (const name of names) {
    for (const h of histories) {
      const r = h.regressors[name];
      if (r?.subarray(0, h.values.length).some((v) => v !== 0)) {
        active.add(name);
        break;
      }
    }
  }
  return active;
}

/** The lane's level before day t: the mean of the previous SCALE_DAYS days (0 when they are all zero). */
export function levelBefore(values: Float64Array, t: number): number {
  const from = Math.max(0, t - SCALE_DAYS);
  if (t <= from) return 0;
  let sum = 0;
  for (let i = from; i < t; i++) sum += values[i] ?? 0;
  return sum / (t - from);
}

/**
 * The scaled weekday baseline the network corrects: for each step, the mean of the same weekday over the
 * last four weeks before t. Learning a correction to it needs far less data than learning the week.
 */
export function baseline(
  values: Float64Array,
  t: number,
  scale: number,
  horizon: number,
  out: Float32Array,
): void {
  for (let h = 0; h < horizon; h++) {
    let sum = 0;
    let n = 0;
    for (let w = 1; w <= 4; w++) {
      const i = t + (h % 7) - 7 * w;
      if (i >= 0 && i < t) {
        sum += values[i] ?? 0;
        n++;
      }
    }
    out[h] = n > 0 && scale > 0 ? sum / n / scale : 0;
  }
}

/** Writes the feature vector of (history, t) into `out` at `offset`; `scale` must be > 0. */
export function writeFeatures(
  history: History,
  t: number,
  scale: number,
  layout: FeatureLayout,
  out: Float32Array,
  offset: number,
): void {
  const y = history.values;
  let k = offset;
  for (let i = t - LAGS; i < t; i++) out[k++] = i >= 0 ? Math.min((y[i] ?? 0) / scale, MAX_SCALED_INPUT) : 0;
  for (const days of [7, 91, 182]) {
    const from = Math.max(0, t - days);
    let sum = 0;
    for (let i = from; i < t; i++) sum += y[i] ?? 0;
    out[k++] = t > from ? Math.min(sum / (t - from) / scale, MAX_SCALED_INPUT) : 0;
  }
  let zeros = 0;
  const from = Math.max(0, t - LAGS);
  for (let i = from; i < t; i++) if ((y[i] ?? 0) === 0) zeros++;
  out[k++] = t > from ? zeros / (t - from) : 1;
  out[k++] = Math.log1p(scale);
  const wd = weekday(history.start + t);
  for (let d = 0; d < 7; d++) out[k++] = d === wd ? 1 : 0;
  for (const name of layout.regressors) {
    const r = layout.active && !layout.active.has(name) ? undefined : history.regressors[name];
    for (let h = 0; h < layout.horizon; h++) out[k++] = r?.[t + h] ?? 0;
  }
}
