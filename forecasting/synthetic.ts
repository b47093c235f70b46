import { seededRandom } from '../core/mod.ts';
import { weekday } from './days.ts';
import type { LaneSeries } from './series.ts';

/**
 * Synthetic lanes with known structure, for the benchmark and for tests: a level drawn log-uniformly
 * (from a few shipments a week to hundreds a day), a linear trend, a weekday profile with a weekend dip,
 * a yearly swell peaking in late November, an occasional step change, and over-dispersed count noise
 * (Poisson with a gamma-distributed rate, i.e. negative binomial).
 */
export interface SyntheticOptions {
  readonly lanes: number;
  readonly days: number;
  readonly start: number;
  readonly seed: number;
  readonly minLevel?: number;
  readonly maxLevel?: number;
  /** Share of lanes with a step change of their level. */
  readonly stepShare?: number;
}

export function syntheticLanes(opts: SyntheticOptions): LaneSeries[] {
  const random = seededRandom(opts.seed);
  const minLevel = opts.minLevel ?? 0.2;
  const maxLevel = opts.maxLevel ?? 300;
  const out: LaneSeries[] = [];
  for (let i = 0; i < opts.lanes; i++) {
    const level = Math.exp(Math.log(minLevel) + random() * (Math.log(maxLevel) - Math.log(minLevel)));
    const trendPerYear = -0.2 + random() * 0.6;
    const weekendDip = 0.3 + random() * 0.6;
    const yearly = random() * 0.25;
    const step =
      random() < (opts.stepShare ?? 0.1)
        ? { at: Math.floor(opts.days * (0.3 + random() * 0.6)), factor: 0.5 + random() }
        : undefined;
    const values = new Float64Array(opts.days);
    for (let t = 0; t < opts.days; t++) {
      const day = opts.start + t;
      const wd = weekday(day);
      const week = wd >= 5 ? 1 - weekendDip : 1 + (weekendDip * 2) / 5;
      const doy = ((day % 365.25) + 365.25) % 365.25;
      const swell = 1 + yearly * Math.cos((2 * Math.PI * (doy - 328)) / 365.25);
      const trend = 1 + (trendPerYear * t) / 365;
      const shift = step && t >= step.at ? step.factor : 1;
      const rate = Math.max(0, level * week * swell * trend * shift);
      values[t] = poisson(rate * gamma(10, random), random);
    }
    const lane = `L${String(i).padStart(4, '0')}`;
    out.push({ key: lane, lane, warehouse: '', start: opts.start, values, regressors: {} });
  }
  return out;
}

/** Poisson sample: inversion for small rates, a rounded normal for large ones (error < 1% there). */
export function poisson(rate: number, random: () => number): number {
  if (rate <= 0) return 0;
  if (rate > 50) return Math.max(0, Math.round(rate + Math.sqrt(rate) * normal(random)));
  let k = 0;
  let p = Math.exp(-rate);
  let cdf = p;
  const u = random();
  while (u > cdf && k < 1000) {
    k++;
    p *= rate / k;
    cdf += p;
  }
  return k;
}

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, scale = 1/shape): mean 1, variance 1/shape (Marsaglia–Tsang). */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / shape;
  }
}
