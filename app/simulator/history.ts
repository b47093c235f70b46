import { seededRandom } from './random.ts';
import { simulatedWorld, warehouses } from './world.ts';

/**
 * Simulated history for the demo: daily committed shipments per lane of the simulator's world (the same
 * 48 lanes a seed gives the live simulator), so the forecast desk has months of series the minute the demo
 * starts. Pure: the numbers depend only on the seed, the lane and the calendar day, so a second demo on
 * the same data computes the same volume for a day it already stored.
 *
 * Shape: a level per lane drawn log-uniformly (5 … 150 a day), a weekday profile with a weekend dip, a
 * slow trend, Poisson noise, and a step change over the last week on about one lane in eight (so the
 * forecast-delta alerts have something to say).
 */
export interface LaneDay {
  readonly lane: string;
  readonly warehouse: string;
  /** Day number (days since 1970-01-01, UTC). */
  readonly day: number;
  readonly volume: number;
}

export interface HistoryOptions {
  readonly seed: number;
  /** First day not included (today: its volume comes from the live simulator). */
  readonly end: number;
  readonly days: number;
}

/** Weekday factors, Monday … Sunday. */
const WEEKDAY = [1.12, 1.18, 1.1, 1.06, 1.0, 0.42, 0.28];
/** Days before `end` over which a shifting lane has already moved. */
export const RECENT_SHIFT_DAYS = 7;

/** 0 = Monday … 6 = Sunday; day 0 (1970-01-01) was a Thursday. */
const weekday = (day: number) => (((day + 3) % 7) + 7) % 7;

function hash(...parts: readonly (string | number)[]): number {
  let h = 2166136261;
  for (const ch of parts.join('\u001f')) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A Poisson draw (Knuth for small means, a rounded normal approximation above 60). */
function poisson(mean: number, random: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 60) {
    const z = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

interface LaneShape {
  readonly level: number;
  /** Yearly swell: amplitude and the day of year it peaks. */
  readonly swell: number;
  readonly peak: number;
  /** Factor applied over the last RECENT_SHIFT_DAYS days (1 = none). */
  readonly shift: number;
}

function laneShape(seed: number, lane: string): LaneShape {
  const random = seededRandom(hash(seed, lane));
  const level = Math.exp(Math.log(5) + random() * (Math.log(150) - Math.log(5)));
  const swell = random() * 0.25;
  const peak = Math.floor(random() * 365);
  const shifts = random() < 0.125;
  const shift = shifts ? (random() < 0.5 ? 0.5 : 1.7) : 1;
  return { level, swell, peak, shift };
}

/** The lanes of the simulator's world for a seed, with their warehouse. */
export function worldLanes(seed: number): { lane: string; warehouse: string }[] {
  const world = simulatedWorld(seededRandom(seed));
  return warehouses.flatMap((w) => (world.lanes.get(w.id) ?? []).map((lane) => ({ lane, warehouse: w.id })));
}

export function laneHistory(opts: HistoryOptions): LaneDay[] {
  const out: LaneDay[] = [];
  for (const { lane, warehouse } of worldLanes(opts.seed)) {
    const shape = laneShape(opts.seed, lane);
    for (let day = opts.end - opts.days; day < opts.end; day++) {
      // The swell follows the calendar (not `end`), so a day's expected volume does not move run to run.
      const swell = 1 + shape.swell * Math.cos((2 * Math.PI * (day - shape.peak)) / 365.25);
      const shifted = day >= opts.end - RECENT_SHIFT_DAYS ? shape.shift : 1;
      const mean = shape.level * (WEEKDAY[weekday(day)] ?? 1) * swell * shifted;
      out.push({ lane, warehouse, day, volume: poisson(mean, seededRandom(hash(opts.seed, lane, day))) });
    }
  }
  return out;
}
