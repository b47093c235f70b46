import type { Forecast, Interval } from './model.ts';
import { inverseNormalCdf } from './normal.ts';

/**
 * Symmetric normal intervals `mean ± z·sd[h]`, clipped at zero because volumes cannot be negative.
 * `sd[h]` is the forecast standard deviation at step h (the model states how it grows with h).
 */
export function normalIntervals(
  mean: Float64Array,
  sd: ArrayLike<number>,
  levels: readonly number[],
): Interval[] {
  return levels.map((level) => {
    const z = inverseNormalCdf(0.5 + level / 200);
    const lower = new Float64Array(mean.length);
    const upper = new Float64Array(mean.length);
    for (let h = 0; h < mean.length; h++) {
      const m = mean[h] ?? 0;
      const s = sd[h] ?? 0;
      lower[h] = Math.max(0, m - z * s);
      upper[h] = Math.max(0, m + z * s);
    }
    return { level, lower, upper };
  });
}

/** Empirical intervals: mean plus the residual quantiles of each level, clipped at zero. */
export function residualIntervals(
  mean: Float64Array,
  residuals: readonly number[],
  levels: readonly number[],
): Interval[] {
  const sorted = [...residuals].sort((a, b) => a - b);
  return levels.map((level) => {
    const lo = quantile(sorted, (1 - level / 100) / 2);
    const hi = quantile(sorted, (1 + level / 100) / 2);
    const lower = new Float64Array(mean.length);
    const upper = new Float64Array(mean.length);
    for (let h = 0; h < mean.length; h++) {
      const m = mean[h] ?? 0;
      lower[h] = Math.max(0, m + lo);
      upper[h] = Math.max(0, m + hi);
    }
    return { level, lower, upper };
  });
}

/** Linear-interpolated quantile of an ascending array (0 for an empty one). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const pos = Math.min(Math.max(p, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (pos - lo);
}

/** Volumes are never negative: clips a forecast's mean and bounds at zero. */
export function clipAtZero(f: Forecast): Forecast {
  const clip = (a: Float64Array) => a.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  return {
    mean: clip(f.mean),
    intervals: f.intervals.map((i) => ({ level: i.level, lower: clip(i.lower), upper: clip(i.upper) })),
  };
}

/** Standard deviation of the finite values (population); 0 for fewer than two. */
export function residualSd(residuals: readonly number[]): number {
  const finite = residuals.filter(Number.isFinite);
  if (finite.length < 2) return 0;
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  return Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (finite.length - 1));
}
