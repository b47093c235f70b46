import { describe, expect, it } from 'vitest';
import { MetricAccumulator, mape, mase, maseScale, smape, wape } from '../../forecasting/metrics.ts';

// Hand-computed: errors 2, 2, 0, 5 (sum 9) against actuals 10, 0, 5, 20 (sum 35).
const actual = [10, 0, 5, 20];
const forecast = [8, 2, 5, 25];

describe('accuracy metrics against hand-computed values', () => {
  it('WAPE is the sum of absolute errors over the sum of actuals', () => {
    expect(wape(actual, forecast)).toBeCloseTo(9 / 35, 12);
  });

  it('MAPE skips zero actuals and says how many it skipped', () => {
    // (2/10 + 0/5 + 5/20) / 3
    expect(mape(actual, forecast)).toBeCloseTo(0.15, 12);
    const acc = new MetricAccumulator([]);
    for (const [i, a] of actual.entries()) acc.add(a, forecast[i] ?? 0, null);
    const m = acc.result();
    expect(m.mapePoints).toBe(3);
    expect(m.mapeSkippedZeros).toBe(1);
    expect(mape([0, 0], [1, 2])).toBeNull();
  });

  it('sMAPE scores a point where actual and forecast are both zero as perfect', () => {
    // (4/18 + 4/2 + 0 + 10/45) / 4
    expect(smape(actual, forecast)).toBeCloseTo((4 / 18 + 2 + 0 + 10 / 45) / 4, 12);
    expect(smape([0, 4], [0, 4])).toBe(0);
  });

  it('MASE divides by the in-sample MAE of the weekly seasonal naive', () => {
    const training = [1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 9];
    // lag-7 differences: 2, 0, 0, 0, 0, 0, 2 → scale 4/7; MAE 9/4
    expect(maseScale(training)).toBeCloseTo(4 / 7, 12);
    expect(mase(actual, forecast, training)).toBeCloseTo(2.25 / (4 / 7), 12);
  });

  it('MASE is undefined when the training data has no seasonal variation, and uses lag 1 on short data', () => {
    expect(maseScale(new Array(20).fill(3))).toBeNull();
    expect(mase([1], [2], new Array(20).fill(3))).toBeNull();
    expect(maseScale([1, 3, 2])).toBeCloseTo(1.5, 12);
  });

  it('WAPE is undefined when every actual is zero, and bias has the forecast’s sign', () => {
    expect(wape([0, 0], [1, 1])).toBeNull();
    const acc = new MetricAccumulator([]);
    acc.add(10, 12, null);
    acc.add(10, 10, null);
    expect(acc.result().bias).toBeCloseTo(0.1, 12);
  });

  it('coverage counts actuals inside each level’s interval', () => {
    const acc = new MetricAccumulator([80, 95]);
    acc.add(5, 5, 1, [
      [4, 6],
      [3, 7],
    ]);
    acc.add(8, 5, 1, [
      [4, 6],
      [3, 9],
    ]);
    acc.add(2, 5, 1, [
      [4, 6],
      [1, 9],
    ]);
    acc.add(5, 5, 1, [undefined, [5, 5]]);
    const m = acc.result();
    expect(m.coverage['80']).toBeCloseTo(1 / 3, 12);
    expect(m.coverage['95']).toBe(1);
    expect(m.mase).toBeCloseTo((0 + 3 + 3 + 0) / 4, 12);
  });

  it('rejects actual and forecast of different lengths', () => {
    expect(() => wape([1, 2], [1])).toThrow(/2 points but forecast has 1/);
  });
});
