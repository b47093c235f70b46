import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/mod.ts';
import { levelProfile } from '../../forecasting/models/level-profile.ts';
import type { History } from '../../forecasting/models/model.ts';
import { weeklyProfile } from '../../forecasting/models/weekly-profile.ts';
import { poisson } from '../../forecasting/synthetic.ts';
import { gaussian, MONDAY_2024, meanAbsPctError, trendWeekly } from './synthetic-helpers.ts';

const levels = [80, 95];
const WEEK = [1.2, 1.1, 1.1, 1.0, 1.0, 0.8, 0.8]; // Monday … Sunday, mean 1

/** Poisson counts around level(t) × the weekday shape above. */
function counts(days: number, level: (t: number) => number, seed: number): History {
  const random = seededRandom(seed);
  const values = Float64Array.from({ length: days }, (_, t) =>
    poisson(level(t) * (WEEK[t % 7] ?? 1), random),
  );
  return { start: MONDAY_2024, values, regressors: {} };
}

describe('level-profile: weekday profile × a robust exponentially smoothed level', () => {
  it('on a stable weekly lane it forecasts the weekday shape within 6% of the truth', () => {
    const known = trendWeekly({ days: 364, horizon: 14, level: 80, slope: 0, amplitude: 10, sd: 2, seed: 3 });
    const f = levelProfile.fit(known.history).forecast(14, levels);
    expect(meanAbsPctError(f.mean, known.future)).toBeLessThan(0.06);
  });

  it('follows a level shift three weeks old (30 → 45 a day) to within 10%, where the 4-week mean lags', () => {
    const history = counts(200, (t) => (t < 179 ? 30 : 45), 7);
    const truth = (h: number) => 45 * (WEEK[(200 + h) % 7] ?? 1);
    const err = (mean: Float64Array) =>
      meanAbsPctError(
        mean,
        Array.from({ length: 7 }, (_, h) => truth(h)),
      );
    const level = levelProfile.fit(history).forecast(7, levels).mean;
    expect(err(level)).toBeLessThan(0.1);
    expect(err(level)).toBeLessThan(err(weeklyProfile.fit(history).forecast(7, levels).mean));
  });

  it('a one-day spike (10× the level, yesterday) moves the forecast by less than 15%', () => {
    const base = counts(200, () => 20, 11);
    const spiked = Float64Array.from(base.values);
    spiked[199] = 200;
    const a = levelProfile.fit(base).forecast(7, levels).mean;
    const b = levelProfile.fit({ ...base, values: spiked }).forecast(7, levels).mean;
    for (let h = 0; h < 7; h++) expect((b[h] ?? 0) / (a[h] ?? 1)).toBeLessThan(1.15);
  });

  it('intervals are nested, non-negative, and cover most new draws of a stable lane', () => {
    const random = seededRandom(17);
    const values = Float64Array.from({ length: 300 }, () => Math.max(0, 50 + 5 * gaussian(random)));
    const f = levelProfile.fit({ start: MONDAY_2024, values, regressors: {} }).forecast(14, levels);
    const [i80, i95] = f.intervals;
    let inside = 0;
    for (let h = 0; h < 14; h++) {
      expect(i95?.lower[h] ?? -1).toBeLessThanOrEqual(i80?.lower[h] ?? 0);
      expect(i95?.upper[h] ?? 0).toBeGreaterThanOrEqual(i80?.upper[h] ?? 1);
      expect(i95?.lower[h] ?? -1).toBeGreaterThanOrEqual(0);
      const draw = 50 + 5 * gaussian(random);
      if (draw >= (i95?.lower[h] ?? 0) && draw <= (i95?.upper[h] ?? 0)) inside++;
    }
    expect(inside).toBeGreaterThanOrEqual(12);
  });

  it('a short or empty history falls back to the weekly profile (zeros stay zero)', () => {
    const zeros: History = { start: MONDAY_2024, values: new Float64Array(120), regressors: {} };
    expect(Array.from(levelProfile.fit(zeros).forecast(3, levels).mean)).toEqual([0, 0, 0]);
    const short: History = { start: MONDAY_2024, values: Float64Array.from([3, 4, 5, 6]), regressors: {} };
    expect(Array.from(levelProfile.fit(short).forecast(3, levels).mean)).toEqual(
      Array.from(weeklyProfile.fit(short).forecast(3, levels).mean),
    );
  });
});
