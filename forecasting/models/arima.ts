import { type ArimaFit, type ArimaOrder, difference, fitArima, forecastArima } from './arima-fit.ts';
import { clipAtZero, normalIntervals } from './intervals.ts';
import type { Fitted, History, Model } from './model.ts';

/**
 * Automatic seasonal ARIMA with a weekly season, after `auto.arima` (Hyndman & Khandakar 2008):
 * D from the seasonal-strength test (D = 1 when Fs > 0.64, as `nsdiffs`), d from a KPSS test at 5% on the
 * seasonally differenced series, then a stepwise search over p, q ≤ 2, P, Q ≤ 1 (and the constant when
 * d + D ≤ 1) by AICc, each candidate fitted by CSS. A peer to compare the served forecast with, not part of
 * the default set. It fits on the last `window` days (as MSTL), which bounds its cost and lets it follow
 * a lane's recent regime.
 */
export const ARIMA_WINDOW = 182;
const SEASON = 7;
const MAX = { p: 2, q: 2, P: 1, Q: 1 } as const;
/** Seasonal strength above which the season is differenced (forecast::nsdiffs). */
const SEASONAL_STRENGTH = 0.64;
/** KPSS level-stationarity critical value at 5% (Kwiatkowski et al. 1992, Table 1). */
const KPSS_5PCT = 0.463;
const MAX_MODELS = 30;
/** Effort of the rough fits that rank candidate orders (as auto.arima's `approximation`). */
const SEARCH_FIT = { evalsPerParam: 12, tolerance: 1e-4 } as const;

/** Fs = max(0, 1 − Var(R) / Var(S + R)) from a centred 7-day moving-average decomposition. */
export function seasonalStrength(y: Float64Array, s = SEASON): number {
  const half = Math.floor(s / 2);
  if (y.length < 3 * s) return 0;
  const detrended: number[] = [];
  const phase: number[] = [];
  let windowSum = 0;
  for (let t = 0; t < s; t++) windowSum += y[t] ?? 0;
  for (let t = half; t + half < y.length; t++) {
    if (t > half) windowSum += (y[t + half] ?? 0) - (y[t - half - 1] ?? 0);
    detrended.push((y[t] ?? 0) - windowSum / s);
    phase.push(t % s);
  }
  const sums = new Array<number>(s).fill(0);
  const counts = new Array<number>(s).fill(0);
  detrended.forEach((v, i) => {
    const p = phase[i] ?? 0;
    sums[p] = (sums[p] ?? 0) + v;
    counts[p] = (counts[p] ?? 0) + 1;
  });
  const seasonal = sums.map((v, i) => v / Math.max(1, counts[i] ?? 1));
  const remainder = detrended.map((v, i) => v - (seasonal[phase[i] ?? 0] ?? 0));
  const vx = variance(detrended);
  if (vx <= 0) return 0;
  return Math.max(0, 1 - variance(remainder) / vx);
}

/** KPSS level-stationarity statistic, Bartlett window with ⌊3√n / 13⌋ lags (`lshort`, as auto.arima). */
export function kpssStatistic(x: Float64Array): number {
  const n = x.length;
  if (n < 3) return 0;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  const e = Array.from(x, (v) => v - mean);
  let partial = 0;
  let eta = 0;
  for (const v of e) {
    partial += v;
    eta += partial * partial;
  }
  const lags = Math.floor((3 * Math.sqrt(n)) / 13);
  let lr = e.reduce((a, v) => a + v * v, 0);
  for (let l = 1; l <= lags; l++) {
    let c = 0;
    for (let t = l; t < n; t++) c += (e[t] ?? 0) * (e[t - l] ?? 0);
    lr += 2 * (1 - l / (lags + 1)) * c;
  }
  lr /= n;
  if (lr <= 0) return 0;
  return eta / (n * n * lr);
}

/** Differencing orders for a window, as auto.arima decides them (seasonal first, then regular). */
export function chooseDifferencing(y: Float64Array, s = SEASON): { d: number; D: number } {
  const D = y.length >= 3 * s + 1 && seasonalStrength(y, s) > SEASONAL_STRENGTH ? 1 : 0;
  const x = difference(y, 0, D, s);
  const d = x.length > 2 * s && kpssStatistic(x) > KPSS_5PCT ? 1 : 0;
  return { d, D };
}

/** Stepwise AICc search (Hyndman & Khandakar 2008, §3.2) within MAX; returns the best fit. */
export function autoArima(y: Float64Array, s = SEASON): ArimaFit {
  const { d, D } = chooseDifferencing(y, s);
  const allowConstant = d + D <= 1;
  const scoreFrom = MAX.p + s * MAX.P;
  const seen = new Map<string, ArimaFit | null>();
  let best: ArimaFit | null = null;
  const keyOf = (o: ArimaOrder) => `${o.p}${o.q}${o.P}${o.Q}${o.constant ? 1 : 0}`;
  const tryOrder = (o: ArimaOrder): ArimaFit | null => {
    const key = keyOf(o);
    if (seen.has(key)) return seen.get(key) ?? null;
    let fit: ArimaFit | null = null;
    try {
      // A rough fit warm-started from the best so far ranks the candidates; the winner is refitted fully.
      fit = fitArima(y, o, { ...(best ? { init: best } : {}), ...SEARCH_FIT, scoreFrom });
      if (!Number.isFinite(fit.aicc)) fit = null;
    } catch {
      fit = null;
    }
    seen.set(key, fit);
    return fit;
  };
  const order = (p: number, q: number, P: number, Q: number, constant: boolean): ArimaOrder => ({
    p,
    d,
    q,
    P,
    D,
    Q,
    s,
    constant: constant && allowConstant,
  });
  const consider = (o: ArimaOrder) => {
    const f = tryOrder(o);
    if (f && (!best || f.aicc < best.aicc - 1e-9)) {
      best = f;
      return true;
    }
    return false;
  };
  for (const [p, q, P, Q] of [
    [2, 2, 1, 1],
    [0, 0, 0, 0],
    [1, 0, 1, 0],
    [0, 1, 0, 1],
  ] as const)
    consider(order(p, q, P, Q, true));
  let improved = true;
  while (improved && seen.size < MAX_MODELS) {
    improved = false;
    const c: ArimaFit | null = best;
    if (!c) break;
    const { p, q, P, Q, constant } = (c as ArimaFit).order;
    const moves: [number, number, number, number, boolean][] = [
      [p - 1, q, P, Q, constant],
      [p + 1, q, P, Q, constant],
      [p, q - 1, P, Q, constant],
      [p, q + 1, P, Q, constant],
      [p - 1, q - 1, P, Q, constant],
      [p + 1, q + 1, P, Q, constant],
      [p, q, P - 1, Q, constant],
      [p, q, P + 1, Q, constant],
      [p, q, P, Q - 1, constant],
      [p, q, P, Q + 1, constant],
      [p, q, P - 1, Q - 1, constant],
      [p, q, P + 1, Q + 1, constant],
      [p, q, P, Q, !constant],
    ];
    for (const [mp, mq, mP, mQ, mc] of moves) {
      if (mp < 0 || mq < 0 || mP < 0 || mQ < 0 || mp > MAX.p || mq > MAX.q || mP > MAX.P || mQ > MAX.Q)
        continue;
      if (consider(order(mp, mq, mP, mQ, mc))) {
        improved = true;
        break;
      }
    }
  }
  const chosen: ArimaFit | null = best;
  if (!chosen) throw new RangeError(`arima: no order could be fitted to ${y.length} days`);
  const final = fitArima(y, (chosen as ArimaFit).order, { init: chosen, scoreFrom });
  return final.aicc <= (chosen as ArimaFit).aicc ? final : chosen;
}

export function arimaModel(window = ARIMA_WINDOW, name = 'arima'): Model {
  return {
    name,
    fit(history: History): Fitted {
      const from = window > 0 ? Math.max(0, history.values.length - window) : 0;
      const y = history.values.subarray(from);
      if (y.length < 4 * SEASON)
        throw new RangeError(`${name} needs at least ${4 * SEASON} days, got ${y.length}`);
      if (y.every((v) => v === y[0])) {
        const value = y[0] ?? 0;
        return {
          forecast(horizon, levels) {
            const mean = new Float64Array(horizon).fill(value);
            return {
              mean,
              intervals: levels.map((level) => ({ level, lower: mean.slice(), upper: mean.slice() })),
            };
          },
        };
      }
      const fit = autoArima(Float64Array.from(y));
      return {
        forecast(horizon, levels) {
          const { mean, sd } = forecastArima(fit, horizon);
          return clipAtZero({ mean, intervals: normalIntervals(mean, sd, levels) });
        },
      };
    },
  };
}

function variance(x: readonly number[]): number {
  if (x.length < 2) return 0;
  const m = x.reduce((a, v) => a + v, 0) / x.length;
  return x.reduce((a, v) => a + (v - m) ** 2, 0) / (x.length - 1);
}
