import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/mod.ts';
import { etsModel, mstlModel } from '../../forecasting/models/augurs.ts';
import { movingAverage, naive, seasonalNaive } from '../../forecasting/models/baselines.ts';
import { crostonSba } from '../../forecasting/models/croston.ts';
import type { History, Model } from '../../forecasting/models/model.ts';
import { weekdayFactors, weeklyProfile } from '../../forecasting/models/weekly-profile.ts';
import { gaussian, MONDAY_2024, meanAbsPctError, trendWeekly } from './synthetic-helpers.ts';

const levels = [80, 95];

describe('baselines do exactly what their definition says', () => {
  const y = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7]);
  const h: History = { start: MONDAY_2024, values: y, regressors: {} };

  it('naive repeats the last day', () => {
    expect(Array.from(naive.fit(h).forecast(3, levels).mean)).toEqual([7, 7, 7]);
  });

  it('seasonal naive repeats last week, day by day', () => {
    expect(Array.from(seasonalNaive.fit(h).forecast(9, levels).mean)).toEqual([6, 5, 3, 5, 8, 9, 7, 6, 5]);
  });

  it('moving average is the mean of the last 28 days (all of them when shorter)', () => {
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    expect(movingAverage.fit(h).forecast(2, levels).mean[0]).toBeCloseTo(mean, 12);
  });

  it('intervals are nested by level, never negative, and widen with the horizon for naive', () => {
    const f = naive.fit(h).forecast(14, levels);
    const [i80, i95] = f.intervals;
    expect(i80?.level).toBe(80);
    for (let k = 0; k < 14; k++) {
      expect(i95?.lower[k] ?? -1).toBeLessThanOrEqual(i80?.lower[k] ?? 0);
      expect(i95?.upper[k] ?? 0).toBeGreaterThanOrEqual(i80?.upper[k] ?? 1);
      expect(i95?.lower[k] ?? -1).toBeGreaterThanOrEqual(0);
    }
    const width = (k: number) => (i80?.upper[k] ?? 0) - (i80?.lower[k] ?? 0);
    expect(width(13)).toBeGreaterThan(width(0));
  });
});

describe('trend + weekly seasonality + noise', () => {
  // 50 + 0.1/day, weekday swing ±14, noise sd 2: the truth for the next 14 days is known.
  const known = trendWeekly({
    days: 364,
    horizon: 14,
    level: 50,
    slope: 0.1,
    amplitude: 10,
    sd: 2,
    seed: 11,
  });

  it('MSTL recovers level, trend and weekly shape within 4% of the truth', () => {
    const f = mstlModel(0).fit(known.history).forecast(14, levels);
    expect(meanAbsPctError(f.mean, known.future)).toBeLessThan(0.04);
    // The trend: the second week is about 7 × 0.1 higher than the first.
    const week = (from: number) => Array.from(f.mean.slice(from, from + 7)).reduce((a, b) => a + b, 0) / 7;
    expect(week(7) - week(0)).toBeGreaterThan(0.3);
    expect(week(7) - week(0)).toBeLessThan(1.2);
  });

  it('MSTL beats the seasonal naive against the truth, and ETS (no season) does worse than both', () => {
    const truthErr = (m: Model) =>
      meanAbsPctError(m.fit(known.history).forecast(14, levels).mean, known.future);
    const mstl = truthErr(mstlModel(0));
    expect(mstl).toBeLessThan(truthErr(seasonalNaive));
    expect(truthErr(etsModel(0))).toBeGreaterThan(truthErr(seasonalNaive));
  });

  it('weekly profile recovers the weekday shape (Saturday and Sunday low)', () => {
    const factors = weekdayFactors(known.history);
    // Truth near day 364 ≈ 86: Saturday −12, Sunday −14 → factors ≈ 0.86 and 0.84; Monday ≈ 1.07.
    expect(factors[5]).toBeGreaterThan(0.8);
    expect(factors[5]).toBeLessThan(0.92);
    expect(factors[6]).toBeLessThan(0.9);
    expect(factors[0]).toBeGreaterThan(1.03);
    const f = weeklyProfile.fit(known.history).forecast(7, levels);
    expect(meanAbsPctError(f.mean, known.future.slice(0, 7))).toBeLessThan(0.06);
  });

  it('the 95% interval of MSTL covers at least 80% of new noisy draws', () => {
    const f = mstlModel(0).fit(known.history).forecast(14, levels);
    const i95 = f.intervals.find((i) => i.level === 95);
    const random = seededRandom(99);
    let inside = 0;
    for (let k = 0; k < 14; k++) {
      const draw = (known.future[k] ?? 0) + 2 * gaussian(random);
      if (draw >= (i95?.lower[k] ?? 0) && draw <= (i95?.upper[k] ?? 0)) inside++;
    }
    expect(inside / 14).toBeGreaterThanOrEqual(0.8);
  });
});

describe('a step change', () => {
  // 20 a day for 300 days, then 40 a day for 35 days; every model with a recent memory must follow to 40.
  const random = seededRandom(5);
  const values = Float64Array.from({ length: 335 }, (_, t) => (t < 300 ? 20 : 40) + gaussian(random));
  const history: History = { start: MONDAY_2024, values, regressors: {} };

  for (const model of [movingAverage, weeklyProfile, mstlModel(), etsModel(), naive, seasonalNaive]) {
    it(`${model.name} forecasts the new level (40 ± 10%), not the old one or a blend`, () => {
      const mean = model.fit(history).forecast(7, levels).mean;
      for (const v of mean) {
        expect(v).toBeGreaterThan(36);
        expect(v).toBeLessThan(44);
      }
    });
  }
});

describe('a flagged promo day', () => {
  const known = trendWeekly({ days: 364, horizon: 14, level: 50, slope: 0, amplitude: 10, sd: 2, seed: 13 });
  const peak = Float64Array.from(known.history.values);
  peak[354] = 10 * (peak[354] ?? 0);
  const promo = new Float64Array(364 + 14);
  promo[354] = 1;

  it('MSTL fits as if the flagged peak (10× a Friday) had not happened, within 3% of the clean fit', () => {
    const clean = mstlModel().fit(known.history).forecast(14, levels).mean;
    const flagged = mstlModel()
      .fit({ ...known.history, values: peak, regressors: { promo } })
      .forecast(14, levels).mean;
    expect(meanAbsPctError(flagged, Array.from(clean))).toBeLessThan(0.03);
    // Unflagged, the same peak shifts the forecast.
    const unflagged = mstlModel()
      .fit({ ...known.history, values: peak })
      .forecast(14, levels).mean;
    expect(meanAbsPctError(unflagged, Array.from(clean))).toBeGreaterThan(0.03);
  });
});

describe('intermittent demand', () => {
  // A shipment of 4 on a quarter of the days: the true rate is 1.0 a day.
  const random = seededRandom(21);
  const values = Float64Array.from({ length: 400 }, () => (random() < 0.25 ? 4 : 0));
  const history: History = { start: MONDAY_2024, values, regressors: {} };

  it('Croston SBA forecasts a flat rate near 1 a day (SBA corrects the rate down by α/2)', () => {
    const f = crostonSba.fit(history).forecast(14, levels);
    expect(new Set(f.mean).size).toBe(1);
    expect(f.mean[0]).toBeGreaterThan(0.75);
    expect(f.mean[0]).toBeLessThan(1.2);
    expect(Math.min(...(f.intervals[0]?.lower ?? [-1]))).toBeGreaterThanOrEqual(0);
  });

  it('naive forecasts 0 or 4, the moving average and Croston a rate; all stay non-negative', () => {
    for (const m of [naive, movingAverage, crostonSba, mstlModel(), etsModel()]) {
      const f = m.fit(history).forecast(14, levels);
      for (const v of f.mean) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(movingAverage.fit(history).forecast(1, levels).mean[0]).toBeGreaterThan(0.4);
  });

  it('a lane with no volume at all gets zero from the augurs models without fitting', () => {
    const zeros: History = { start: MONDAY_2024, values: new Float64Array(200), regressors: {} };
    for (const m of [mstlModel(), etsModel(), crostonSba]) {
      const f = m.fit(zeros).forecast(5, levels);
      expect(Array.from(f.mean)).toEqual([0, 0, 0, 0, 0]);
    }
  });

  it('MSTL refuses a history shorter than two weeks (the backtest then falls back)', () => {
    const short: History = {
      start: MONDAY_2024,
      values: Float64Array.from([1, 2, 3, 1, 2, 3, 4, 5]),
      regressors: {},
    };
    expect(() => mstlModel().fit(short)).toThrow(/at least 15 days/);
  });
});
