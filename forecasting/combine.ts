import type { Forecast, Interval } from './models/model.ts';

/**
 * Per-lane selection and ensemble, decided only from the lane's inner folds: the windows just before a
 * forecast origin, whose actuals were known at that origin. The test fold itself never takes part.
 *
 *  - selected: the base model with the lowest absolute error over the inner windows, where a model outside
 *    ROBUST must beat them by PENALTY (20%) to be chosen.
 *  - ensemble: the TOP models by that error, weighted by inverse error (a better model earns more weight,
 *    no model all of it, which is what makes combinations robust when one window misleads), then shrunk
 *    by SHRINK towards equal weights on the ROBUST models: two 14-day windows of a lane with a few
 *    shipments a day rank models mostly by noise, and the robust core did well across lanes, windows and
 *    the synthetic benchmark (chosen on the development window and synthetic lanes; see bench/RESULTS.md).
 * Without inner windows (a young lane) both fall back to a fixed, a-priori choice.
 */
export const ENSEMBLE_TOP = 3;
export const ROBUST = ['level-profile', 'tf-global', 'mstl', 'weekly-profile'] as const;
/** Share of the ensemble weight spread evenly over the ROBUST models that run. */
export const SHRINK = 0.5;
/** Selection: the inner error of a model outside ROBUST counts this much more. */
export const PENALTY = 0.2;
export const FALLBACK_SELECTED = [
  'tf-global',
  'mstl',
  'level-profile',
  'weekly-profile',
  'moving-average',
] as const;
export const FALLBACK_ENSEMBLE = ROBUST;

export interface InnerScore {
  absError: number;
  points: number;
}

export interface Choice {
  readonly selected: string;
  readonly weights: Readonly<Record<string, number>>;
  /** Mean absolute error per model over the inner windows (empty when there were none). */
  readonly innerMae: Readonly<Record<string, number>>;
  readonly innerPoints: number;
}

/** `candidates` in order of preference: ties go to the earlier (simpler) model. */
export function choose(scores: ReadonlyMap<string, InnerScore>, candidates: readonly string[]): Choice {
  const innerMae: Record<string, number> = {};
  let innerPoints = 0;
  const ranked: { name: string; mae: number }[] = [];
  for (const name of candidates) {
    const s = scores.get(name);
    if (!s || s.points === 0) continue;
    const mae = s.absError / s.points;
    innerMae[name] = mae;
    innerPoints = Math.max(innerPoints, s.points);
    ranked.push({ name, mae });
  }
  if (ranked.length === 0) return fallbackChoice(candidates);
  // Stable sort keeps candidate order among equal errors.
  ranked.sort((a, b) => a.mae - b.mae);
  const top = ranked.slice(0, ENSEMBLE_TOP);
  const penalised = (m: { name: string; mae: number }) => m.mae * (isRobust(m.name) ? 1 : 1 + PENALTY);
  const best = ranked.reduce<(typeof ranked)[number] | undefined>(
    (b, m) => (b === undefined || penalised(m) < penalised(b) ? m : b),
    undefined,
  );
  if (!best) return fallbackChoice(candidates);
  // A floor on the error keeps a lucky perfect window (all zeros) from taking all the weight.
  const floor = Math.max(1e-6, 0.1 * (top.reduce((s, m) => s + m.mae, 0) / top.length));
  const raw = top.map((m) => 1 / Math.max(m.mae, floor));
  const total = raw.reduce((a, b) => a + b, 0);
  const core = ROBUST.filter((m) => m in innerMae);
  const shrink = core.length > 0 ? SHRINK : 0;
  const weights: Record<string, number> = {};
  top.forEach((m, i) => {
    weights[m.name] = ((raw[i] ?? 0) / total) * (1 - shrink);
  });
  for (const m of core) weights[m] = (weights[m] ?? 0) + shrink / core.length;
  return { selected: best.name, weights, innerMae, innerPoints };
}

function isRobust(name: string): boolean {
  return (ROBUST as readonly string[]).includes(name);
}

function fallbackChoice(candidates: readonly string[]): Choice {
  const selected = FALLBACK_SELECTED.find((m) => candidates.includes(m)) ?? candidates[0] ?? 'moving-average';
  const members = FALLBACK_ENSEMBLE.filter((m) => candidates.includes(m));
  const pool = members.length > 0 ? members : [selected];
  const weights: Record<string, number> = {};
  for (const m of pool) weights[m] = 1 / pool.length;
  return { selected, weights, innerMae: {}, innerPoints: 0 };
}

/** The weighted mean of the members' forecasts and of their interval bounds, level by level. */
export function combineForecasts(
  forecasts: Readonly<Record<string, Forecast>>,
  weights: Readonly<Record<string, number>>,
  levels: readonly number[],
): Forecast {
  const members = Object.entries(weights).filter(([name]) => forecasts[name]);
  const horizon = forecasts[members[0]?.[0] ?? '']?.mean.length ?? 0;
  const mean = new Float64Array(horizon);
  const wsum = members.reduce((s, [, w]) => s + w, 0) || 1;
  for (const [name, w] of members) {
    const f = forecasts[name];
    if (!f) continue;
    for (let h = 0; h < horizon; h++) mean[h] = (mean[h] ?? 0) + ((f.mean[h] ?? 0) * w) / wsum;
  }
  const intervals: Interval[] = [];
  for (const level of levels) {
    const parts = members.flatMap(([name, w]) => {
      const i = forecasts[name]?.intervals.find((x) => x.level === level);
      return i ? [{ i, w }] : [];
    });
    const pw = parts.reduce((s, p) => s + p.w, 0);
    if (parts.length === 0 || pw === 0) continue;
    const lower = new Float64Array(horizon);
    const upper = new Float64Array(horizon);
    for (const { i, w } of parts) {
      for (let h = 0; h < horizon; h++) {
        lower[h] = (lower[h] ?? 0) + ((i.lower[h] ?? 0) * w) / pw;
        upper[h] = (upper[h] ?? 0) + ((i.upper[h] ?? 0) * w) / pw;
      }
    }
    intervals.push({ level, lower, upper });
  }
  return { mean, intervals };
}
