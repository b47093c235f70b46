import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/mod.ts';
import { runBacktest } from '../../forecasting/backtest.ts';
import {
  calibrator,
  conformalIntervals,
  conformalQuantiles,
  type LaneScores,
  laneScores,
  minScores,
  POOL_MIN,
  type Residual,
} from '../../forecasting/conformal.ts';
import { bandAtOrigin, type LaneOrigins, scoresBefore } from '../../forecasting/conformal-backtest.ts';
import type { ModelForecast } from '../../forecasting/local-fit.ts';
import { movingAverage, seasonalNaive } from '../../forecasting/models/baselines.ts';
import { backtestReport } from '../../forecasting/report.ts';
import { reportText } from '../../forecasting/report-text.ts';
import type { LaneSeries } from '../../forecasting/series.ts';
import { poisson, syntheticLanes } from '../../forecasting/synthetic.ts';
import { gaussian, MONDAY_2024 } from './synthetic-helpers.ts';

const H = 14;
const WARMUP = 28;
/** Monday … Sunday, mean 1. */
const PROFILE = [1.25, 1.2, 1.1, 1.05, 1.0, 0.75, 0.65];

/** Gamma(shape, 1/shape), mean 1 (Marsaglia–Tsang; shape ≥ 1): the mixing that makes Poisson negative binomial. */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = gaussian(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(random()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / shape;
  }
}

/**
 * Lanes of 1–30 a day around a weekly profile, Poisson or negative binomial (size 4), forecast at origins
 * H days apart by the profile × the 28-day level; `windows` calibration origins before the test origin.
 */
function world(opts: { lanes: number; windows: number; noise: 'poisson' | 'negbin'; seed: number }) {
  const random = seededRandom(opts.seed);
  const test = WARMUP + opts.windows * H;
  const days = test + H;
  const lanes: LaneOrigins[] = [];
  for (let i = 0; i < opts.lanes; i++) {
    const level = Math.exp(random() * Math.log(30));
    const values = Float64Array.from({ length: days }, (_, t) => {
      const mix = opts.noise === 'negbin' ? gamma(4, random) : 1;
      return poisson(level * (PROFILE[t % 7] ?? 1) * mix, random);
    });
    const byOrigin = new Map<number, Record<string, ModelForecast>>();
    for (let o = WARMUP; o <= test; o += H) {
      let sum = 0;
      for (let t = o - WARMUP; t < o; t++) sum += values[t] ?? 0;
      const mean = Float64Array.from({ length: H }, (_, h) => (sum / WARMUP) * (PROFILE[(o + h) % 7] ?? 1));
      byOrigin.set(o, { profile: { mean, intervals: [] } });
    }
    const series: LaneSeries = {
      key: `L${i}`,
      lane: `L${i}`,
      warehouse: '',
      start: 0,
      values,
      regressors: {},
    };
    lanes.push({ series, byOrigin });
  }
  return { lanes, test };
}

const plan = { horizon: H, levels: [80, 95], excluded: () => false };

function coverage(w: ReturnType<typeof world>) {
  const banded = bandAtOrigin(w.lanes, w.test, plan);
  const covered = [0, 0];
  let points = 0;
  const sources = new Set<string>();
  w.lanes.forEach((lane, i) => {
    const f = banded[i]?.profile;
    if (!f) throw new Error(`lane ${i} has no band`);
    sources.add(f.band?.source ?? 'missing');
    for (let h = 0; h < H; h++) {
      const a = lane.series.values[w.test + h] ?? Number.NaN;
      points++;
      f.intervals.forEach((b, k) => {
        if (a >= (b.lower[h] ?? Number.NaN) && a <= (b.upper[h] ?? Number.NaN))
          covered[k] = (covered[k] ?? 0) + 1;
      });
    }
  });
  return { c80: (covered[0] ?? 0) / points, c95: (covered[1] ?? 0) / points, points, sources: [...sources] };
}

describe('conformal quantiles', () => {
  const ascending = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('takes the finite-sample corrected order statistics, and none when n is too small', () => {
    // n = 84, 80 %: lower rank ⌊85·0.1⌋ = 8, upper 8 + ⌈85·0.8⌉ = 76.
    expect(conformalQuantiles(ascending(84), 80)).toEqual([8, 76]);
    // n = 84, 95 %: ⌊85·0.025⌋ = 2, 2 + ⌈85·0.95⌉ = 83.
    expect(conformalQuantiles(ascending(84), 95)).toEqual([2, 83]);
    expect(conformalQuantiles(ascending(9), 80)).toEqual([1, 9]);
    expect(conformalQuantiles(ascending(8), 80)).toBeUndefined();
    expect(conformalQuantiles(ascending(39), 95)).toEqual([1, 39]);
    expect(conformalQuantiles(ascending(38), 95)).toBeUndefined();
    expect(minScores([80])).toBe(9);
    expect(minScores([80, 95])).toBe(39);
    expect(() => minScores([100])).toThrow(/levels: got 100/);
  });
});

describe('conformal bands on synthetic lanes with known noise', () => {
  for (const noise of ['poisson', 'negbin'] as const) {
    it(`${noise}: 80 % bands cover 78–82 % and 95 % bands 93.5–96.5 % of 10,080 draws (own residuals)`, () => {
      const c = coverage(world({ lanes: 720, windows: 6, noise, seed: noise === 'poisson' ? 11 : 12 }));
      expect(c.points).toBe(10_080);
      expect(c.sources).toEqual(['lane']);
      expect(c.c80).toBeGreaterThanOrEqual(0.78);
      expect(c.c80).toBeLessThanOrEqual(0.82);
      expect(c.c95).toBeGreaterThanOrEqual(0.935);
      expect(c.c95).toBeLessThanOrEqual(0.965);
    });

    it(`${noise}: short histories pool similar lanes and still cover 78–82 % / 93.5–96.5 %`, () => {
      // Two windows: 28 own residuals, fewer than the 39 a 95 % band needs.
      const c = coverage(world({ lanes: 720, windows: 2, noise, seed: noise === 'poisson' ? 21 : 22 }));
      expect(c.sources).toEqual(['similar-lanes']);
      expect(c.c80).toBeGreaterThanOrEqual(0.78);
      expect(c.c80).toBeLessThanOrEqual(0.82);
      expect(c.c95).toBeGreaterThanOrEqual(0.935);
      expect(c.c95).toBeLessThanOrEqual(0.965);
    });
  }
});

describe('pooling rule', () => {
  const residuals = (n: number, forecast: number, draw: () => number): Residual[] =>
    Array.from({ length: n }, (_, k) => ({ step: k % H, residual: draw(), forecast }));
  const random = seededRandom(5);
  const normal = (sd: number) => () => sd * gaussian(random);

  it('uses a step of its own, then its own steps pooled, then similar lanes, then nothing', () => {
    const lanes: LaneScores[] = [
      laneScores(10, residuals(H * 40, 10, normal(3))),
      laneScores(10, residuals(H * 3, 10, normal(3))),
      laneScores(10, residuals(H * 2, 10, normal(3))),
      ...Array.from({ length: 10 }, (_, i) => laneScores(5 + i, residuals(28, 5 + i, normal(3)))),
    ];
    const cal = calibrator(lanes, H, [80, 95]);
    expect(cal(0).map((c) => c.source)).toEqual(new Array(H).fill('lane-step'));
    expect(cal(0)[0]?.n).toBe(40);
    expect(cal(1)[0]).toMatchObject({ source: 'lane', n: 42, lanes: 1 });
    const pooled = cal(2)[0];
    expect(pooled?.source).toBe('similar-lanes');
    expect(pooled?.n).toBeGreaterThanOrEqual(POOL_MIN);
    expect(pooled?.lanes).toBeGreaterThan(1);
    expect(calibrator([laneScores(1, residuals(20, 1, normal(1)))], H, [80, 95])(0)[0]?.source).toBe('none');
  });

  it('pools neighbours by volume but keeps a noisy lane wide (scores in units of each lane’s spread)', () => {
    const neighbours = Array.from({ length: 30 }, () => laneScores(10, residuals(28, 10, normal(3))));
    const noisy = laneScores(10, residuals(28, 10, normal(9)));
    const cal = calibrator([noisy, ...neighbours], H, [80]);
    const width = (i: number) => {
      const q = cal(i)[0]?.quantiles[0] ?? [0, 0];
      return q[1] - q[0];
    };
    const ratio = width(0) / width(1);
    expect(ratio).toBeGreaterThan(2);
    expect(ratio).toBeLessThan(4.5);
  });

  it('asymmetric residuals give asymmetric bands', () => {
    const skewed = () => 3 * -Math.log(Math.max(random(), 1e-12)) - 3; // exponential, mean 0, long upper tail
    const mean = new Float64Array(H).fill(20);
    const band = (draw: () => number) => {
      const steps = calibrator([laneScores(20, residuals(400, 20, draw))], H, [80, 95])(0);
      return conformalIntervals(mean, steps, [80, 95], []);
    };
    const [up80, up95] = band(skewed);
    expect((up80?.upper[0] ?? 0) - 20).toBeGreaterThan(1.3 * (20 - (up80?.lower[0] ?? 0)));
    expect((up95?.upper[0] ?? 0) - 20).toBeGreaterThan(2 * (20 - (up95?.lower[0] ?? 0)));
    const [down80] = band(() => -skewed());
    expect(20 - (down80?.lower[0] ?? 0)).toBeGreaterThan(1.3 * ((down80?.upper[0] ?? 0) - 20));
  });

  it('never goes below zero, always contains the forecast, and the 95 % band holds the 80 % one', () => {
    // A forecast that ran 5 too high every day: the band would sit below it and below zero.
    const steps = calibrator(
      [
        laneScores(
          1,
          residuals(60, 6, () => -5 + random()),
        ),
      ],
      H,
      [80, 95],
    )(0);
    const mean = Float64Array.from({ length: H }, (_, h) => 0.2 + h);
    const [b80, b95] = conformalIntervals(mean, steps, [80, 95], []);
    for (let h = 0; h < H; h++) {
      expect(b80?.lower[h]).toBeGreaterThanOrEqual(0);
      expect(b95?.lower[h] ?? -1).toBeLessThanOrEqual(b80?.lower[h] ?? Number.NaN);
      expect(b80?.lower[h] ?? Number.NaN).toBeLessThanOrEqual(mean[h] ?? Number.NaN);
      expect(b80?.upper[h] ?? Number.NaN).toBeGreaterThanOrEqual(mean[h] ?? Number.NaN);
      expect(b95?.upper[h] ?? Number.NaN).toBeGreaterThanOrEqual(b80?.upper[h] ?? Number.NaN);
    }
    expect(b80?.lower[0]).toBe(0);
  });

  it('calibrates only on days before the origin, leaving excluded days out', () => {
    const values = Float64Array.from({ length: 60 }, (_, t) => t);
    const byOrigin = new Map<number, Record<string, ModelForecast>>([
      [20, { m: { mean: new Float64Array(H), intervals: [] } }],
      [34, { m: { mean: new Float64Array(H), intervals: [] } }],
      [48, { m: { mean: new Float64Array(H), intervals: [] } }],
    ]);
    const lane: LaneOrigins = {
      series: { key: 'A', lane: 'A', warehouse: '', start: 0, values, regressors: {} },
      byOrigin,
    };
    const r = scoresBefore(lane, 'm', 40, { ...plan, excluded: (d) => d === 25 }, 3);
    // Origin 20 gives days 20..33 but 25; origin 34 gives 34..39 (day 40 on is not known at 40). The
    // forecast is 0, so each score is the day's value (= its day number) / √1.
    expect(Array.from(r.scores)).toEqual([
      20, 21, 22, 23, 24, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
    ]);
    expect(Array.from(r.steps.slice(-6))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.volume).toBe(3);
  });
});

describe('conformal bands in the backtest', () => {
  it('bands every model, selected and ensemble in every fold and the final forecast; reports raw coverage too', async () => {
    const series = syntheticLanes({
      lanes: 30,
      days: 220,
      start: MONDAY_2024,
      seed: 6,
      minLevel: 1,
      maxLevel: 30,
    });
    const r = await runBacktest(
      series,
      { local: [seasonalNaive, movingAverage], global: [] },
      {
        horizon: H,
        folds: 4,
        innerFolds: 2,
        levels: [80, 95],
        minTrainDays: 28,
        seed: 1,
        excluded: () => false,
        final: true,
      },
    );
    for (const lane of r.lanes) {
      expect(lane.folds).toHaveLength(4);
      // First fold: 2 inner windows (28 residuals) → similar lanes; the final forecast: 6 windows → its own.
      expect(lane.folds[0]?.forecasts.ensemble?.band?.source).toBe('similar-lanes');
      expect(lane.final?.forecasts.ensemble?.band).toMatchObject({ source: 'lane', n: 6 * H });
      for (const fold of [...lane.folds, ...(lane.final ? [lane.final] : [])]) {
        for (const model of ['seasonal-naive', 'moving-average', 'selected', 'ensemble']) {
          const f = fold.forecasts[model];
          expect(f?.raw?.map((i) => i.level)).toEqual([80, 95]);
          const [b80, b95] = f?.intervals ?? [];
          for (let h = 0; h < H; h++) {
            expect(b95?.lower[h] ?? -1).toBeGreaterThanOrEqual(0);
            expect(b95?.lower[h] ?? Number.NaN).toBeLessThanOrEqual(b80?.lower[h] ?? Number.NaN);
            expect(b80?.lower[h] ?? Number.NaN).toBeLessThanOrEqual(f?.mean[h] ?? Number.NaN);
            expect(f?.mean[h] ?? Number.NaN).toBeLessThanOrEqual(b80?.upper[h] ?? Number.NaN);
            expect(b80?.upper[h] ?? Number.NaN).toBeLessThanOrEqual(b95?.upper[h] ?? Number.NaN);
          }
        }
      }
    }
    const report = backtestReport(r, { targetMinVolume: 1, excludeWeeks: [] });
    const ensemble = report.aggregate.allLanes.metrics.ensemble;
    expect(ensemble?.coverage['80']).toBeGreaterThan(0.6);
    expect(ensemble?.rawCoverage?.['80']).toBeGreaterThan(0);
    expect(report.lanes[0]?.folds[0]?.forecasts.ensemble).toHaveProperty('raw.lower.80');
    expect(reportText(report)).toMatch(/cov80 +cov95 +raw80 +raw95/);
  });
});
