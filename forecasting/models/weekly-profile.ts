import { weekday } from '../days.ts';
import { normalIntervals, residualSd } from './intervals.ts';
import type { Fitted, History, Model } from './model.ts';

/**
 * Level × weekday profile: the last four weeks' mean times each weekday's share over the last eight
 * weeks, shrunk towards a flat week so a lane with few shipments does not get a spiky profile from
 * noise. It is the seasonal naive forecast with the noise averaged out.
 */
const LEVEL_DAYS = 28;
export const PROFILE_DAYS = 56;
/** Pseudo-observations of a flat week added to each weekday's mean. */
const SHRINK = 2;

export const weeklyProfile: Model = {
  name: 'weekly-profile',
  fit(history: History): Fitted {
    const y = history.values;
    const n = y.length;
    const levelFrom = Math.max(0, n - LEVEL_DAYS);
    let level = 0;
    for (let t = levelFrom; t < n; t++) level += y[t] ?? 0;
    level = n > levelFrom ? level / (n - levelFrom) : 0;
    const factors = weekdayFactors(history);
    const residuals: number[] = [];
    for (let t = Math.max(0, n - PROFILE_DAYS); t < n; t++) {
      residuals.push((y[t] ?? 0) - level * (factors[weekday(history.start + t)] ?? 1));
    }
    const sigma = residualSd(residuals);
    return {
      forecast(horizon, levels) {
        const mean = Float64Array.from(
          { length: horizon },
          (_, h) => level * (factors[weekday(history.start + n + h)] ?? 1),
        );
        return { mean, intervals: normalIntervals(mean, new Array<number>(horizon).fill(sigma), levels) };
      },
    };
  },
};

/**
 * Weekday multipliers (Monday first) averaging 1 over the week, from the last PROFILE_DAYS days; days
 * above `cap` count as `cap` (so a one-day peak does not become a weekday effect).
 */
export function weekdayFactors(history: History, cap = Number.POSITIVE_INFINITY): number[] {
  const y = history.values;
  const from = Math.max(0, y.length - PROFILE_DAYS);
  const sums = new Array<number>(7).fill(0);
  const counts = new Array<number>(7).fill(0);
  let total = 0;
  for (let t = from; t < y.length; t++) {
    const d = weekday(history.start + t);
    const v = Math.min(y[t] ?? 0, cap);
    sums[d] = (sums[d] ?? 0) + v;
    counts[d] = (counts[d] ?? 0) + 1;
    total += v;
  }
  const days = y.length - from;
  const overall = days > 0 ? total / days : 0;
  if (overall <= 0) return new Array<number>(7).fill(1);
  const raw = sums.map((s, d) => (s + SHRINK * overall) / (((counts[d] ?? 0) + SHRINK) * overall));
  const norm = raw.reduce((a, b) => a + b, 0) / 7;
  return raw.map((f) => f / norm);
}
