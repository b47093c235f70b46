import { probit } from 'simple-statistics';

/**
 * From orders to trucks (pure): the trucks a lane needs per day at a service level is
 * ceil(quantile of the day's forecast volume at that level × units per shipment / units per truck).
 * The quantile, not the mean: at service level 0.9 the trucks booked carry the day's volume on nine
 * days out of ten (as far as the bands are calibrated).
 *
 * Quantiles from the stored bands: a central band at level L% gives the (1 − L/100)/2 and (1 + L/100)/2
 * quantiles (the 80 % band: 0.10 and 0.90; the 95 % band: 0.025 and 0.975); the point forecast stands
 * for the median. Between those knots the quantile is interpolated linearly on the normal-score scale
 * (Φ⁻¹ of the probability, simple-statistics' probit), which reproduces a normal band's quantiles (to
 * that probit's approximation, within 0.001 σ) and stays monotone whatever the band's shape (conformal
 * bands included: they are stored as the same levels and bounds). A level outside the knots cannot be
 * read from the bands and is refused.
 */

export interface BandInterval {
  readonly level: number;
  readonly lower: number;
  readonly upper: number;
}

export interface BandPoint {
  readonly date: string;
  readonly mean: number;
  readonly intervals: readonly BandInterval[];
}

export interface Knot {
  /** Probability (0..1). */
  readonly p: number;
  /** Volume at that quantile. */
  readonly q: number;
}

/** The quantile knots a point's bands give, by probability; quantiles made non-decreasing. */
export function quantileKnots(point: BandPoint): Knot[] {
  const knots: Knot[] = [{ p: 0.5, q: point.mean }];
  for (const i of point.intervals) {
    if (!(i.level > 0 && i.level < 100)) continue;
    const tail = (1 - i.level / 100) / 2;
    knots.push({ p: tail, q: i.lower }, { p: 1 - tail, q: i.upper });
  }
  knots.sort((a, b) => a.p - b.p || a.q - b.q);
  // A band narrower than a nested one (an ensemble's weighted bounds can cross) must not make the
  // quantile fall as the probability rises.
  let floor = Number.NEGATIVE_INFINITY;
  return knots.map((k) => {
    floor = Math.max(floor, k.q);
    return { p: k.p, q: floor };
  });
}

/** The range of service levels the stored levels allow: 0.5 up to the widest band's upper quantile. */
export function serviceLevelRange(levels: readonly number[]): { min: number; max: number } {
  const widest = Math.max(0, ...levels.filter((l) => l > 0 && l < 100));
  return { min: 0.5, max: (1 + widest / 100) / 2 };
}

/** The volume at probability p, interpolated between the knots on the normal-score scale. */
export function quantileAt(point: BandPoint, p: number): number {
  const knots = quantileKnots(point);
  const exact = knots.findLast((k) => Math.abs(k.p - p) < 1e-12);
  if (exact) return exact.q;
  const hi = knots.findIndex((k) => k.p > p);
  const a = knots[hi - 1];
  const b = knots[hi];
  if (hi <= 0 || !a || !b) {
    throw new RangeError(
      `service level ${p} is outside the stored bands' quantiles ${knots[0]?.p}..${knots.at(-1)?.p}`,
    );
  }
  const za = probit(a.p);
  const zb = probit(b.p);
  const t = (probit(p) - za) / (zb - za);
  return a.q + t * (b.q - a.q);
}

/** Trucks for `units` of load: the smallest whole number that holds them (none for no load). */
export function trucksFor(units: number, capacity: number): number {
  if (!(capacity > 0)) throw new RangeError(`capacity: got ${capacity}, expected a number > 0`);
  if (!(units > 0)) return 0;
  // 2.0000000000000004 trucks of rounding noise is 2 trucks, not 3.
  return Math.ceil(units / capacity - 1e-9);
}

export interface TruckDay {
  readonly date: string;
  /** The point forecast (shipments). */
  readonly mean: number;
  /** The forecast's quantile at the service level (shipments). */
  readonly quantile: number;
  /** quantile × units per shipment. */
  readonly units: number;
  /** null when no capacity is known for the lane. */
  readonly trucks: number | null;
}

export interface TruckPlanInput {
  readonly serviceLevel: number;
  /** Units one truck holds; undefined = unknown (trucks null, the volumes still given). */
  readonly capacity: number | undefined;
  /** Mean units per shipment on the lane (1 when the shipments carry none). */
  readonly unitsPerShipment: number;
}

/** Trucks per day for a lane's forecast points. */
export function truckPlan(points: readonly BandPoint[], input: TruckPlanInput): TruckDay[] {
  return points.map((point) => {
    const quantile = quantileAt(point, input.serviceLevel);
    const units = quantile * input.unitsPerShipment;
    return {
      date: point.date,
      mean: point.mean,
      quantile: round(quantile),
      units: round(units),
      trucks: input.capacity === undefined ? null : trucksFor(units, input.capacity),
    };
  });
}

const round = (v: number) => Math.round(v * 1000) / 1000;
