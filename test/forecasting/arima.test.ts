import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/mod.ts';
import { DEFAULT_MODELS } from '../../forecasting/model-set.ts';
import {
  arimaModel,
  autoArima,
  chooseDifferencing,
  kpssStatistic,
  seasonalStrength,
} from '../../forecasting/models/arima.ts';
import {
  type ArimaOrder,
  difference,
  fitArima,
  forecastArima,
  nelderMead,
} from '../../forecasting/models/arima-fit.ts';
import { mstlModel, mstlRawModel } from '../../forecasting/models/augurs.ts';
import { localModel } from '../../forecasting/models/registry.ts';
import { gaussian, MONDAY_2024, meanAbsPctError } from './synthetic-helpers.ts';

const order = (o: Partial<ArimaOrder>): ArimaOrder => ({
  p: 0,
  d: 0,
  q: 0,
  P: 0,
  D: 0,
  Q: 0,
  s: 7,
  constant: false,
  ...o,
});

/** Simulates φ(B)Φ(B⁷)(y − μ) = θ(B)Θ(B⁷)e with unit-variance Gaussian e, after a burn-in. */
function simulate(
  n: number,
  seed: number,
  c: { phi?: number; theta?: number; sphi?: number; stheta?: number; mu?: number },
): Float64Array {
  const random = seededRandom(seed);
  const burn = 300;
  const x: number[] = [];
  const e: number[] = [];
  for (let t = 0; t < n + burn; t++) {
    const et = gaussian(random);
    let v = et;
    v += (c.phi ?? 0) * (x[t - 1] ?? 0) + (c.sphi ?? 0) * (x[t - 7] ?? 0);
    v -= (c.phi ?? 0) * (c.sphi ?? 0) * (x[t - 8] ?? 0);
    v += (c.theta ?? 0) * (e[t - 1] ?? 0) + (c.stheta ?? 0) * (e[t - 7] ?? 0);
    v += (c.theta ?? 0) * (c.stheta ?? 0) * (e[t - 8] ?? 0);
    x.push(v);
    e.push(et);
  }
  return Float64Array.from(x.slice(burn), (v) => v + (c.mu ?? 0));
}

describe('CSS fit recovers known coefficients of simulated processes', () => {
  it('AR(1) φ = 0.6 around a mean of 10', () => {
    const y = simulate(3000, 1, { phi: 0.6, mu: 10 });
    const f = fitArima(y, order({ p: 1, constant: true }));
    expect(f.ar[0]).toBeGreaterThan(0.55);
    expect(f.ar[0]).toBeLessThan(0.65);
    expect(f.mean).toBeGreaterThan(9.8);
    expect(f.mean).toBeLessThan(10.2);
    expect(f.sigma2).toBeGreaterThan(0.9);
    expect(f.sigma2).toBeLessThan(1.1);
  });

  it('MA(1) θ = 0.5 and seasonal AR(1)₇ Φ = 0.5', () => {
    const ma = fitArima(simulate(3000, 2, { theta: 0.5 }), order({ q: 1 }));
    expect(ma.ma[0]).toBeGreaterThan(0.43);
    expect(ma.ma[0]).toBeLessThan(0.57);
    const sar = fitArima(simulate(3000, 3, { sphi: 0.5 }), order({ P: 1 }));
    expect(sar.sar[0]).toBeGreaterThan(0.43);
    expect(sar.sar[0]).toBeLessThan(0.57);
  });

  it('the airline-type model (0,1,1)(0,1,1)₇ recovers θ = −0.4, Θ = −0.6', () => {
    // Integrate a simulated MA(1)×SMA(1) twice: (1 − B)(1 − B⁷)y = (1 − 0.4B)(1 − 0.6B⁷)e.
    const w = simulate(3000, 4, { theta: -0.4, stheta: -0.6 });
    const y = new Float64Array(w.length + 8);
    for (let t = 8; t < y.length; t++)
      y[t] = (w[t - 8] ?? 0) + (y[t - 1] ?? 0) + (y[t - 7] ?? 0) - (y[t - 8] ?? 0);
    const f = fitArima(y, order({ d: 1, D: 1, q: 1, Q: 1 }));
    expect(f.ma[0]).toBeGreaterThan(-0.47);
    expect(f.ma[0]).toBeLessThan(-0.33);
    expect(f.sma[0]).toBeGreaterThan(-0.67);
    expect(f.sma[0]).toBeLessThan(-0.53);
    expect(Array.from(difference(y, 1, 1, 7).subarray(0, 3))).toEqual(
      Array.from(w.subarray(0, 3)).map((v) => expect.closeTo(v, 9)),
    );
  });
});

describe('forecasts match the closed forms', () => {
  it('AR(1): μ + φʰ(y_T − μ), sd σ·√(Σ_{j<h} φ²ʲ)', () => {
    const y = simulate(500, 5, { phi: 0.7, mu: 4 });
    const f = fitArima(y, order({ p: 1, constant: true }));
    const phi = f.ar[0] ?? 0;
    const last = y[y.length - 1] ?? 0;
    const { mean, sd } = forecastArima(f, 10);
    let acc = 0;
    for (let h = 1; h <= 10; h++) {
      acc += phi ** (2 * (h - 1));
      expect(mean[h - 1]).toBeCloseTo(f.mean + phi ** h * (last - f.mean), 9);
      expect(sd[h - 1]).toBeCloseTo(Math.sqrt(f.sigma2 * acc), 9);
    }
  });

  it('(0,0,0)(0,1,0)₇ without a constant is the seasonal naive forecast, sd σ·√(⌊(h−1)/7⌋+1)', () => {
    const random = seededRandom(6);
    const y = Float64Array.from({ length: 70 }, () => Math.round(10 * random()));
    const f = fitArima(y, order({ D: 1 }));
    const { mean, sd } = forecastArima(f, 15);
    for (let h = 0; h < 15; h++) {
      expect(mean[h]).toBeCloseTo(y[y.length - 7 + (h % 7)] ?? 0, 9);
      expect(sd[h]).toBeCloseTo(Math.sqrt(f.sigma2 * (Math.floor(h / 7) + 1)), 9);
    }
    // σ² is the mean square of the weekly differences.
    const w = difference(y, 0, 1, 7);
    expect(f.sigma2).toBeCloseTo(w.reduce((a, v) => a + v * v, 0) / w.length, 9);
  });

  it('ARIMA(0,1,1): flat at y_T + θ·e_T, sd σ·√(1 + (h−1)(1+θ)²)', () => {
    const w = simulate(800, 7, { theta: -0.5 });
    const y = new Float64Array(w.length + 1);
    for (let t = 1; t < y.length; t++) y[t] = (y[t - 1] ?? 0) + (w[t - 1] ?? 0);
    const f = fitArima(y, order({ d: 1, q: 1 }));
    const theta = f.ma[0] ?? 0;
    const eT = f.residuals[f.residuals.length - 1] ?? 0;
    const { mean, sd } = forecastArima(f, 5);
    for (let h = 1; h <= 5; h++) {
      expect(mean[h - 1]).toBeCloseTo((y[y.length - 1] ?? 0) + theta * eT, 9);
      expect(sd[h - 1]).toBeCloseTo(Math.sqrt(f.sigma2 * (1 + (h - 1) * (1 + theta) ** 2)), 9);
    }
  });
});

describe('automatic order selection', () => {
  it('differences a strongly weekly series seasonally, and white noise not at all', () => {
    const random = seededRandom(8);
    const shape = [1.4, 1.2, 1.1, 1, 0.9, 0.3, 0.1];
    const weekly = Float64Array.from({ length: 182 }, (_, t) => 20 * (shape[t % 7] ?? 1) + gaussian(random));
    expect(seasonalStrength(weekly)).toBeGreaterThan(0.64);
    expect(chooseDifferencing(weekly)).toEqual({ d: 0, D: 1 });
    const noise = Float64Array.from({ length: 182 }, () => 5 + gaussian(random));
    expect(seasonalStrength(noise)).toBeLessThan(0.64);
    expect(chooseDifferencing(noise)).toEqual({ d: 0, D: 0 });
  });

  it('KPSS rejects level stationarity for a random walk, not for white noise', () => {
    const random = seededRandom(9);
    let x = 0;
    const walk = Float64Array.from({ length: 300 }, () => (x += gaussian(random)));
    const noise = Float64Array.from({ length: 300 }, () => gaussian(random));
    expect(kpssStatistic(walk)).toBeGreaterThan(0.463);
    expect(kpssStatistic(noise)).toBeLessThan(0.463);
    expect(chooseDifferencing(walk).d).toBe(1);
  });

  it('finds an AR(1) with a mean by AICc, with φ near the truth', () => {
    const y = simulate(600, 10, { phi: 0.6, mu: 20 });
    const f = autoArima(y);
    expect(f.order.D).toBe(0);
    expect(f.order.d).toBe(0);
    expect(f.order.constant).toBe(true);
    // Stepwise may add small extra terms; the lag-1 AR coefficient stays near 0.6.
    expect(f.ar.length + f.ma.length).toBeGreaterThanOrEqual(1);
    const plain = fitArima(y, order({ p: 1, constant: true }));
    expect(f.aicc).toBeLessThanOrEqual(plain.aicc + 1e-9);
    expect(fitArima(y, order({ constant: true })).aicc).toBeGreaterThan(f.aicc + 50);
  });

  it('Nelder–Mead finds the minimum of a quadratic', () => {
    const x = nelderMead(([a = 0, b = 0]) => (a - 1) ** 2 + 3 * (b + 2) ** 2, [0, 0], [0.5, 0.5], 500, 1e-14);
    expect(x[0]).toBeCloseTo(1, 4);
    expect(x[1]).toBeCloseTo(-2, 4);
  });
});

describe('the arima model', () => {
  const random = seededRandom(11);
  const shape = [1.3, 1.2, 1.1, 1, 0.9, 0.4, 0.1];
  const truth = (t: number) => 12 * (shape[t % 7] ?? 1);
  const values = Float64Array.from({ length: 240 }, (_, t) =>
    Math.max(0, Math.round(truth(t) + 1.5 * gaussian(random))),
  );

  it('forecasts a weekly lane close to its true pattern, with nested non-negative intervals', () => {
    const f = arimaModel().fit({ start: MONDAY_2024, values, regressors: {} }).forecast(14, [80, 95]);
    const future = Array.from({ length: 14 }, (_, h) => truth(240 + h));
    expect(
      meanAbsPctError(
        f.mean,
        future.map((v) => Math.max(v, 1)),
      ),
    ).toBeLessThan(0.2);
    const [i80, i95] = f.intervals;
    for (let h = 0; h < 14; h++) {
      expect(i80?.lower[h] ?? -1).toBeGreaterThanOrEqual(0);
      expect(i95?.lower[h] ?? 1).toBeLessThanOrEqual(i80?.lower[h] ?? 0);
      expect(i95?.upper[h] ?? 0).toBeGreaterThanOrEqual(i80?.upper[h] ?? 1);
    }
  });

  it('is available by name but is not in the served default set; too short a history throws', () => {
    expect(localModel('arima').name).toBe('arima');
    expect(DEFAULT_MODELS).not.toContain('arima');
    expect(DEFAULT_MODELS).not.toContain('mstl-raw');
    expect(() =>
      arimaModel().fit({ start: MONDAY_2024, values: values.slice(0, 20), regressors: {} }),
    ).toThrow(/at least 28 days/);
  });
});

describe('mstl-raw is augurs MSTL as shipped', () => {
  it('keeps a promo-flagged peak that mstl cleans away, and equals mstl when nothing is flagged', () => {
    const random = seededRandom(12);
    const values = Float64Array.from(
      { length: 140 },
      (_, t) => 10 + (3 * ((t % 7) - 3) ** 2) / 9 + gaussian(random),
    );
    const promo = new Float64Array(140);
    promo[130] = 1;
    const peaked = Float64Array.from(values);
    peaked[130] = (peaked[130] ?? 0) * 10;
    const flagged = { start: MONDAY_2024, values: peaked, regressors: { promo } };
    const raw = mstlRawModel().fit(flagged).forecast(14, [80]).mean;
    const cleaned = mstlModel().fit(flagged).forecast(14, [80]).mean;
    expect(Math.max(...raw.map((v, i) => Math.abs(v - (cleaned[i] ?? 0))))).toBeGreaterThan(1);
    const plain = { start: MONDAY_2024, values, regressors: {} };
    expect(Array.from(mstlRawModel().fit(plain).forecast(14, [80]).mean)).toEqual(
      Array.from(mstlModel().fit(plain).forecast(14, [80]).mean),
    );
  });
});
