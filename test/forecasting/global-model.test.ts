import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/mod.ts';
import { weekday } from '../../forecasting/days.ts';
import { activeRegressors, featureLayout, LAGS, writeFeatures } from '../../forecasting/models/features.ts';
import { globalTfModel } from '../../forecasting/models/global-tf.ts';
import type { History } from '../../forecasting/models/model.ts';
import { loadTf } from '../../forecasting/models/tf-backend.ts';
import { poisson } from '../../forecasting/synthetic.ts';
import { MONDAY_2024 } from './synthetic-helpers.ts';

/**
 * Lanes of very different size sharing one weekly shape (weekends at 30%), Poisson noise. A global model
 * trained across them must learn the shape once and apply it to every lane at its own level.
 */
const SHAPE = [1.2, 1.2, 1.2, 1.2, 1.2, 0.3, 0.3]; // mean 1
const HORIZON = 14;
const DAYS = 300;

function lanes(count: number, seed: number): { histories: History[]; truth: number[][] } {
  const random = seededRandom(seed);
  const histories: History[] = [];
  const truth: number[][] = [];
  for (let i = 0; i < count; i++) {
    const level = 2 + 60 * random();
    const rate = (t: number) => level * (SHAPE[weekday(MONDAY_2024 + t)] ?? 1);
    histories.push({
      start: MONDAY_2024,
      values: Float64Array.from({ length: DAYS }, (_, t) => poisson(rate(t), random)),
      regressors: {},
    });
    truth.push(Array.from({ length: HORIZON }, (_, h) => rate(DAYS + h)));
  }
  return { histories, truth };
}

const small = { maxSamples: 3000, epochs: 10, fineTuneEpochs: 2, recentDays: 200 };

describe('global TensorFlow.js model', () => {
  it('learns the shared weekly shape and each lane’s level (WAPE against the truth < 12%)', async () => {
    const { histories, truth } = lanes(30, 7);
    const model = globalTfModel(small);
    const trained = await model.train(histories, { horizon: HORIZON, seed: 3 });
    const fitted = trained.fitMany?.(histories) ?? [];
    let abs = 0;
    let sum = 0;
    let weekendShare = 0;
    fitted.forEach((f, i) => {
      const mean = f.forecast(HORIZON, [80]).mean;
      truth[i]?.forEach((t, h) => {
        abs += Math.abs((mean[h] ?? 0) - t);
        sum += t;
      });
      const sat = [...Array(HORIZON).keys()].filter((h) => weekday(MONDAY_2024 + DAYS + h) === 5);
      const mon = [...Array(HORIZON).keys()].filter((h) => weekday(MONDAY_2024 + DAYS + h) === 0);
      const avg = (ix: number[]) => ix.reduce((s, h) => s + (mean[h] ?? 0), 0) / ix.length;
      weekendShare += avg(sat) / avg(mon) / fitted.length;
    });
    model.dispose?.();
    expect(abs / sum).toBeLessThan(0.12);
    // True Saturday/Monday ratio 0.25.
    expect(weekendShare).toBeGreaterThan(0.1);
    expect(weekendShare).toBeLessThan(0.45);
  });

  it('is reproducible: the same seed gives the same forecast; dispose frees every tensor', async () => {
    const { histories } = lanes(8, 9);
    const { tf } = await loadTf();
    const before = tf.memory().numTensors;
    const run = async () => {
      const model = globalTfModel(small);
      const trained = await model.train(histories, { horizon: 7, seed: 5 });
      const mean = Array.from(trained.fit(histories[0] as History).forecast(7, [80]).mean);
      model.dispose?.();
      return mean;
    };
    expect(await run()).toEqual(await run());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a horizon longer than it was trained for', async () => {
    const { histories } = lanes(4, 2);
    const model = globalTfModel({ ...small, maxSamples: 200, epochs: 1 });
    const trained = await model.train(histories, { horizon: 7, seed: 1 });
    expect(() => trained.fit(histories[0] as History).forecast(8, [80])).toThrow(/trained for horizon 7/);
    model.dispose?.();
  });
});

describe('global model features', () => {
  it('divide lags by the lane level, one-hot the weekday, and zero regressors never seen set', () => {
    const values = Float64Array.from({ length: 80 }, (_, t) => (t % 7 === 5 ? 0 : 10));
    const promo = new Float64Array(90);
    promo[85] = 1; // only in the future: never seen set in the history
    const holiday = new Float64Array(90);
    holiday[20] = 1;
    holiday[82] = 1;
    const h: History = { start: MONDAY_2024, values, regressors: { promo, holiday } };
    const active = activeRegressors([h], ['holiday', 'promo']);
    expect([...active]).toEqual(['holiday']);
    const layout = { ...featureLayout(7, ['holiday', 'promo']), active };
    const out = new Float32Array(layout.size);
    writeFeatures(h, 80, 10, layout, out, 0);
    expect(out[0]).toBeCloseTo((values[80 - LAGS] ?? 0) / 10, 6);
    const weekdayAt = LAGS + 5;
    expect(Array.from(out.slice(weekdayAt, weekdayAt + 7))).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((d) => (d === weekday(MONDAY_2024 + 80) ? 1 : 0)),
    );
    const holidayAt = weekdayAt + 7;
    expect(Array.from(out.slice(holidayAt, holidayAt + 7))).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(Array.from(out.slice(holidayAt + 7, holidayAt + 14))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});
