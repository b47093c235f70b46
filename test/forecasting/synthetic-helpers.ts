import { seededRandom } from '../../core/mod.ts';
import type { History } from '../../forecasting/models/model.ts';

/** Series with a known expected value per day, so a test can score a model against the truth. */
export interface Known {
  readonly history: History;
  /** Expected (noise-free) values for the days after the history. */
  readonly future: readonly number[];
}

export const MONDAY_2024 = 19_723; // 2024-01-01, a Monday

/** level + slope·t + amplitude·weekly shape + Gaussian noise (sd). */
export function trendWeekly(opts: {
  days: number;
  horizon: number;
  level: number;
  slope: number;
  amplitude: number;
  sd: number;
  seed: number;
}): Known {
  const random = seededRandom(opts.seed);
  const shape = [0.6, 0.8, 0.6, 0.4, 0.2, -1.2, -1.4]; // Monday … Sunday, mean 0
  const truth = (t: number) => opts.level + opts.slope * t + opts.amplitude * (shape[t % 7] ?? 0);
  const values = Float64Array.from({ length: opts.days }, (_, t) =>
    Math.max(0, truth(t) + opts.sd * gaussian(random)),
  );
  return {
    history: { start: MONDAY_2024, values, regressors: {} },
    future: Array.from({ length: opts.horizon }, (_, h) => truth(opts.days + h)),
  };
}

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

export function meanAbsPctError(forecast: ArrayLike<number>, truth: readonly number[]): number {
  let s = 0;
  truth.forEach((t, i) => {
    s += Math.abs((forecast[i] ?? 0) - t) / t;
  });
  return s / truth.length;
}
