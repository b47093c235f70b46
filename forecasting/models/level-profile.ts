import { weekday } from '../days.ts';
import { normalIntervals } from './intervals.ts';
import type { Fitted, History, Model } from './model.ts';
import { PROFILE_DAYS, weekdayFactors, weeklyProfile } from './weekly-profile.ts';

/**
 * Weekday profile × an exponentially smoothed level: the weekly profile's shape, but a level that follows
 * shifts (a promotion month, a lost customer) as fast as the lane's own history says it should, instead
 * of the fixed four-week mean. The smoothing weight α is chosen per lane from a grid by the in-sample
 * error of the very forecast it makes — every origin of the last DAYS_SCORED days, all HORIZON_SCORED
 * days ahead — so a stable lane gets a slow level (little noise) and a shifting one a fast level.
 * Innovations are Huber-clipped at HUBER robust standard deviations (Gelper, Fried & Croux 2010): a
 * one-day spike moves the level a little, a lasting shift moves it day after day. The weekday factors
 * are estimated with days winsorised at the same bound, so a peak day does not become a weekday effect.
 */
const ALPHAS = [0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.45] as const;
const WINDOW = 182;
const INIT_DAYS = 28;
const DAYS_SCORED = 98;
const HORIZON_SCORED = 14;
const HUBER = 3;

export const LEVEL_PROFILE = 'level-profile';

export const levelProfile: Model = {
  name: LEVEL_PROFILE,
  fit(history: History): Fitted {
    const y = history.values;
    const n = y.length;
    const from = Math.max(0, n - WINDOW);
    if (n - from < INIT_DAYS + 7) return weeklyProfile.fit(history);
    const recent = y.subarray(Math.max(0, n - PROFILE_DAYS));
    let recentMean = 0;
    for (const v of recent) recentMean += v;
    recentMean /= recent.length;
    const factors = weekdayFactors(history, recentMean + HUBER * robustScale(recent));
    const f = new Float64Array(n - from);
    const d = new Float64Array(n - from);
    for (let t = from; t < n; t++) {
      const ft = factors[weekday(history.start + t)] ?? 1;
      f[t - from] = ft;
      d[t - from] = ft > 0 ? (y[t] ?? 0) / ft : 0;
    }
    let init = 0;
    for (let i = 0; i < INIT_DAYS; i++) init += d[i] ?? 0;
    init /= INIT_DAYS;
    if (init === 0 && d.every((v) => v === 0)) return weeklyProfile.fit(history);
    const clip = HUBER * robustScale(d);

    const m = d.length;
    const scoredFrom = Math.max(INIT_DAYS, m - DAYS_SCORED);
    const track = new Float64Array(m + 1);
    const smooth = (alpha: number) => {
      let level = init;
      for (let i = INIT_DAYS; i < m; i++) {
        track[i] = level;
        const e = (d[i] ?? 0) - level;
        level = Math.max(0, level + alpha * Math.max(-clip, Math.min(clip, e)));
      }
      track[m] = level;
      return level;
    };
    let best = { alpha: ALPHAS[0] as number, total: Number.POSITIVE_INFINITY };
    for (const alpha of ALPHAS) {
      smooth(alpha);
      // Absolute error of the forecast made at each scored origin, over every step ahead it covers.
      let total = 0;
      for (let o = scoredFrom; o < m; o++) {
        const l = track[o] ?? 0;
        const last = Math.min(m, o + HORIZON_SCORED);
        for (let i = o; i < last; i++) total += Math.abs((y[from + i] ?? 0) - l * (f[i] ?? 1));
      }
      if (total < best.total) best = { alpha, total };
    }
    const level = smooth(best.alpha);
    // The chosen level's in-sample errors per step ahead give the interval width at that step.
    const sumSq = new Float64Array(HORIZON_SCORED);
    const count = new Float64Array(HORIZON_SCORED);
    for (let o = scoredFrom; o < m; o++) {
      const l = track[o] ?? 0;
      for (let h = 0; h < HORIZON_SCORED && o + h < m; h++) {
        const e = (y[from + o + h] ?? 0) - l * (f[o + h] ?? 1);
        sumSq[h] = (sumSq[h] ?? 0) + e * e;
        count[h] = (count[h] ?? 0) + 1;
      }
    }
    const stepSd = Array.from(sumSq, (s, h) => Math.sqrt(s / Math.max(1, count[h] ?? 0)));
    return {
      forecast(horizon, levels) {
        const mean = Float64Array.from(
          { length: horizon },
          (_, h) => level * (factors[weekday(history.start + n + h)] ?? 1),
        );
        const sd = Array.from({ length: horizon }, (_, h) => stepSd[Math.min(h, HORIZON_SCORED - 1)] ?? 0);
        return { mean, intervals: normalIntervals(mean, sd, levels) };
      },
    };
  },
};

/** 1.4826 × the median absolute day-to-day change / √2: a noise scale a level shift barely moves. */
function robustScale(d: Float64Array): number {
  const diffs: number[] = [];
  for (let i = 1; i < d.length; i++) diffs.push(Math.abs((d[i] ?? 0) - (d[i - 1] ?? 0)));
  diffs.sort((a, b) => a - b);
  const median = diffs[diffs.length >> 1] ?? 0;
  const scale = (1.4826 * median) / Math.SQRT2;
  // Counts of a few a day have a median change of 0 or 1: never clip below a Poisson-sized step.
  let mean = 0;
  for (const v of d) mean += v;
  mean /= d.length || 1;
  return Math.max(scale, Math.sqrt(Math.max(mean, 1)));
}
