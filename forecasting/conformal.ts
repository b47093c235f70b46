import type { Interval } from './models/model.ts';

/**
 * Split conformal prediction intervals for daily counts, from the signed residuals (actual − forecast) of
 * forecasts made at origins before the one being banded, whose actuals were known by then.
 *
 * Scores. A residual is divided by `pointScale(forecast)` = √(forecast + 1): Poisson-like noise grows
 * with √mean, so a quiet Sunday and a busy Tuesday of one lane, or two lanes of similar volume, give
 * comparable scores. A band is `forecast + pointScale(forecast) · q`, q the score quantiles.
 *
 * Quantiles (finite-sample corrected). For level L (α = 1 − L/100) and n scores sorted ascending, the
 * lower bound is the k-th order statistic, k = ⌊(n+1)·α/2⌋, and the upper the (k + ⌈(n+1)(1 − α)⌉)-th.
 * For exchangeable scores a new score falls between them with probability ⌈(n+1)(1 − α)⌉ / (n+1): at
 * least L %, and less than 1/(n+1) above it (splitting α/2 per tail and rounding each tail outwards
 * would add up to 2/(n+1): 81 % instead of 80 % for n = 84). The tails take α/2 each, up to rounding.
 * Signed scores, not |scores|: a model that runs low gets a band reaching further up than down.
 * Both order statistics exist from n = ⌈2/α⌉ − 1 scores on (9 for 80 %, 39 for 95 %).
 *
 * Pooling rule (first that has at least `minScores(levels)` scores, all levels from the same pool so
 * the bands nest):
 *  1. the lane's own scores at this horizon step;
 *  2. the lane's own scores at all steps (the band is as wide, in score units, at every step);
 *  3. similar lanes: the lane's own scores plus those of the lanes nearest in volume (|log| distance of
 *     the recent mean), added whole, nearest first, until the pool has POOL_MIN scores. When the lane
 *     has at least DISPERSION_MIN own scores, every lane's scores are first divided by that lane's
 *     mean |score| and the pooled quantiles multiplied back by the lane's own: the pool lends the shape
 *     of the error distribution, the lane keeps its own spread (a lane that forecasts badly stays wide);
 *  4. none: the model's own intervals are kept.
 * Bands are clipped at 0 (counts) and always contain the point forecast (a planner reads the band
 * around the number; widening a band never lowers its coverage).
 */

export const POOL_MIN = 150;
export const DISPERSION_MIN = 7;

export type PoolSource = 'lane-step' | 'lane' | 'similar-lanes' | 'none';

export interface Residual {
  /** 0-based horizon step the forecast was made for. */
  readonly step: number;
  readonly residual: number;
  readonly forecast: number;
}

/** One lane's scores (residual / pointScale(forecast)) and their horizon steps, for one model. */
export interface LaneScores {
  /** Recent mean volume per day, known at the origin (decides which lanes are similar). */
  readonly volume: number;
  readonly scores: Float64Array;
  readonly steps: Uint16Array;
}

export function laneScores(volume: number, residuals: readonly Residual[]): LaneScores {
  return {
    volume,
    scores: Float64Array.from(residuals, score),
    steps: Uint16Array.from(residuals, (r) => r.step),
  };
}

export interface StepCalibration {
  readonly source: PoolSource;
  /** Scores in the pool. */
  readonly n: number;
  /** Lanes in the pool (1 for the lane's own). */
  readonly lanes: number;
  /** Per level (same order as `levels`): score quantiles [lower, upper], already in the lane's units. */
  readonly quantiles: readonly (readonly [number, number])[];
}

export const pointScale = (forecast: number): number => Math.sqrt(Math.max(forecast, 0) + 1);

export function score(r: Residual): number {
  return r.residual / pointScale(r.forecast);
}

/** Fewest scores for which every level's two order statistics exist. */
export function minScores(levels: readonly number[]): number {
  const alpha = Math.min(...levels.map((l) => 1 - l / 100));
  if (!(alpha > 0 && alpha < 1))
    throw new RangeError(`levels: got ${levels.join(',')}, expected 0 < level < 100`);
  // Smallest n with ⌊(n+1)α/2⌋ ≥ 1; the upper rank is then ≤ n too.
  return Math.ceil(2 / alpha - 1 - 1e-9);
}

/**
 * Lower and upper conformal quantiles of `sorted` (ascending) at `level`; undefined when n is too small
 * for either order statistic to exist.
 */
export function conformalQuantiles(sorted: ArrayLike<number>, level: number): [number, number] | undefined {
  const n = sorted.length;
  const alpha = 1 - level / 100;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`level: got ${level}, expected 0 < level < 100`);
  // The 1e-9 keeps a product that is an integer in exact arithmetic from rounding the wrong way.
  const lowRank = Math.floor(((n + 1) * alpha) / 2 + 1e-9);
  const highRank = lowRank + Math.ceil((n + 1) * (1 - alpha) - 1e-9);
  if (lowRank < 1 || highRank > n) return undefined;
  return [sorted[lowRank - 1] ?? 0, sorted[highRank - 1] ?? 0];
}

/** Sorts `scores` in place (typed-array sort is numeric) and reads each level's quantiles × factor. */
const quantilesOf = (scores: Float64Array, levels: readonly number[], factor = 1) => {
  scores.sort();
  return levels.map((l) => {
    const q = conformalQuantiles(scores, l) ?? [0, 0];
    return [q[0] * factor, q[1] * factor] as const;
  });
};

/**
 * Calibrates every horizon step of a lane from the residuals of all lanes (same model, all before the
 * origin), by the pooling rule above. Scores, spreads and the volume order are computed once; the
 * returned function bands one lane (by index).
 */
export function calibrator(
  lanes: readonly LaneScores[],
  horizon: number,
  levels: readonly number[],
): (target: number) => StepCalibration[] {
  const need = minScores(levels);
  const spreads = lanes.map((l) => meanAbs(l.scores));
  const logVolume = lanes.map((l) => Math.log(Math.max(l.volume, 0) + 0.1));
  const byVolume = lanes
    .map((_, i) => i)
    .filter((i) => (lanes[i]?.scores.length ?? 0) > 0)
    .sort((a, b) => (logVolume[a] ?? 0) - (logVolume[b] ?? 0));
  const none: StepCalibration = { source: 'none', n: 0, lanes: 0, quantiles: [] };
  const enough = Math.max(need, POOL_MIN);

  const similarLanes = (target: number): StepCalibration => {
    const own = lanes[target]?.scores ?? new Float64Array(0);
    const ownSpread = spreads[target] ?? 0;
    // With enough own residuals, scores are compared in units of each lane's own spread.
    const normalise = own.length >= DISPERSION_MIN && ownSpread > 0;
    const at = logVolume[target] ?? 0;
    // Lanes are added whole, so the pool may pass `enough` by one lane's scores.
    let pool = new Float64Array(enough + own.length);
    let size = 0;
    let pooled = 0;
    const add = (i: number) => {
      const zs = lanes[i]?.scores;
      const spread = spreads[i] ?? 0;
      if (!zs || zs.length === 0) return;
      // A lane whose forecasts were exact tells nothing about the shape of errors.
      if (normalise && spread <= 0) return;
      if (size + zs.length > pool.length) {
        const grown = new Float64Array(2 * (size + zs.length));
        grown.set(pool.subarray(0, size));
        pool = grown;
      }
      const divisor = normalise ? spread : 1;
      for (let k = 0; k < zs.length; k++) pool[size + k] = (zs[k] ?? 0) / divisor;
      size += zs.length;
      pooled++;
    };
    add(target);
    // Walk outwards from the target's volume, always taking the nearer of the two next lanes.
    let hi = lowerBound(byVolume, (i) => (logVolume[i] ?? 0) >= at);
    let lo = hi - 1;
    while (size < enough && (lo >= 0 || hi < byVolume.length)) {
      const a = lo >= 0 ? byVolume[lo] : undefined;
      const b = hi < byVolume.length ? byVolume[hi] : undefined;
      const da = a === undefined ? Number.POSITIVE_INFINITY : at - (logVolume[a] ?? 0);
      const db = b === undefined ? Number.POSITIVE_INFINITY : (logVolume[b] ?? 0) - at;
      const next = da <= db ? a : b;
      if (da <= db) lo--;
      else hi++;
      if (next !== undefined && next !== target) add(next);
    }
    if (size < need) return none;
    return {
      source: 'similar-lanes',
      n: size,
      lanes: pooled,
      quantiles: quantilesOf(pool.subarray(0, size), levels, normalise ? ownSpread : 1),
    };
  };

  return (target) => {
    const own = lanes[target] ?? { scores: new Float64Array(0), steps: new Uint16Array(0) };
    const counts = new Uint16Array(horizon);
    for (const h of own.steps) if (h < horizon) counts[h] = (counts[h] ?? 0) + 1;
    let shared: StepCalibration | undefined;
    const sharedCalibration = (): StepCalibration => {
      shared ??=
        own.scores.length >= need
          ? {
              source: 'lane',
              n: own.scores.length,
              lanes: 1,
              quantiles: quantilesOf(own.scores.slice(), levels),
            }
          : similarLanes(target);
      return shared;
    };
    return Array.from(counts, (count, h) => {
      if (count < need) return sharedCalibration();
      const zs = new Float64Array(count);
      let k = 0;
      own.steps.forEach((step, i) => {
        if (step === h) zs[k++] = own.scores[i] ?? 0;
      });
      return { source: 'lane-step', n: count, lanes: 1, quantiles: quantilesOf(zs, levels) };
    });
  };
}

/** First index of `sorted` whose element satisfies the monotone predicate (length when none does). */
function lowerBound(sorted: readonly number[], ok: (i: number) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(sorted[mid] ?? 0)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function meanAbs(scores: Float64Array): number {
  let s = 0;
  for (const z of scores) s += Math.abs(z);
  return scores.length > 0 ? s / scores.length : 0;
}

/**
 * Conformal intervals around `mean` (one calibration per step); a step without a pool keeps `fallback`'s
 * bounds (the model's own intervals).
 */
export function conformalIntervals(
  mean: Float64Array,
  calibration: readonly StepCalibration[],
  levels: readonly number[],
  fallback: readonly Interval[],
): Interval[] {
  if (calibration.every((c) => c.source === 'none')) return [...fallback];
  // Levels ascending, so a wider level never ends up narrower than a narrower one.
  const order = levels.map((l, i) => ({ l, i })).sort((a, b) => a.l - b.l);
  const out = levels.map((level) => ({
    level,
    lower: new Float64Array(mean.length),
    upper: new Float64Array(mean.length),
  }));
  for (let h = 0; h < mean.length; h++) {
    const f = mean[h] ?? 0;
    const c = calibration[h];
    const s = pointScale(f);
    let innerLower = Number.POSITIVE_INFINITY;
    let innerUpper = Number.NEGATIVE_INFINITY;
    for (const { l, i } of order) {
      const band = out[i];
      if (!band) continue;
      const q = c && c.source !== 'none' ? c.quantiles[i] : undefined;
      const raw = fallback.find((x) => x.level === l);
      let lower = q ? f + s * q[0] : (raw?.lower[h] ?? f);
      let upper = q ? f + s * q[1] : (raw?.upper[h] ?? f);
      lower = Math.max(0, Math.min(lower, f, innerLower));
      upper = Math.max(0, upper, f, innerUpper);
      band.lower[h] = lower;
      band.upper[h] = upper;
      innerLower = lower;
      innerUpper = upper;
    }
  }
  return out;
}
