/**
 * The KPI strip's pure part: the hourly grid of the last 24 h, quantiles of stored Prometheus histograms,
 * the "as of" median of per-lane forecast MAPE, and whether a value crossed its threshold. No I/O here;
 * dashboards/kpi-queries.ts reads ClickHouse, dashboards/kpis.ts assembles the answer.
 */

export const HOUR_MS = 3_600_000;
/** The strip covers the current hour and the 23 before it: 24 hourly points. */
export const WINDOW_HOURS = 24;

export type Direction = 'above_is_bad' | 'below_is_bad';
export type KpiUnit = 'per_100_orders' | 'percent' | 'ratio' | 'minutes' | 'seconds' | 'unknown';

export interface SparkPoint {
  /** Start of the hour, RFC 3339. */
  readonly at: string;
  readonly value: number | null;
}

export interface KpiView {
  readonly name: string;
  readonly label: string;
  readonly value: number | null;
  readonly unit: KpiUnit;
  readonly threshold: number | null;
  /** Where the threshold comes from in the policy, e.g. `telemetry.kpis[wismo_per_100_orders].threshold_alert`. */
  readonly thresholdKey: string | null;
  readonly direction: Direction;
  readonly crossed: boolean;
  /** Why the value is null (no data, or data the feed does not carry); absent when there is a value. */
  readonly reason?: string;
  /** What the value is made of, e.g. "2 WISMO contacts / 10 shipped orders". */
  readonly detail?: string;
  readonly sparkline: readonly SparkPoint[];
}

/** The window of the strip: from the start of the hour 23 hours ago to now. */
export interface KpiWindow {
  readonly fromMs: number;
  readonly toMs: number;
  /** Start of each hourly point, oldest first. */
  readonly hours: readonly number[];
}

export function kpiWindow(nowMs: number): KpiWindow {
  const current = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const fromMs = current - (WINDOW_HOURS - 1) * HOUR_MS;
  return { fromMs, toMs: nowMs, hours: Array.from({ length: WINDOW_HOURS }, (_, i) => fromMs + i * HOUR_MS) };
}

/** Hourly values (by hour index 0..23) as sparkline points; hours without a value are null (a gap). */
export function sparkline(w: KpiWindow, byHour: ReadonlyMap<number, number | null>): SparkPoint[] {
  return w.hours.map((h, i) => ({ at: new Date(h).toISOString(), value: finite(byHour.get(i)) }));
}

export function finite(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}

export function isCrossed(value: number | null, threshold: number | null, direction: Direction): boolean {
  if (value === null || threshold === null) return false;
  return direction === 'above_is_bad' ? value > threshold : value < threshold;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

// --- Prometheus histograms stored in metric_samples -------------------------------------------------------

/**
 * The highest cumulative value of one histogram bucket of one series (a process and its labels other than
 * `le`) within one hour. Hour -1 is the hour before the window: the baseline of a process already running.
 */
export interface BucketSample {
  readonly series: string;
  readonly le: string;
  readonly hour: number;
  readonly value: number;
}

/** Cumulative bucket counts: observations ≤ le (the last bucket is +Inf, the total). */
export type Buckets = ReadonlyArray<{ readonly le: number; readonly count: number }>;

function parseLe(le: string): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

/**
 * Observations per hour from cumulative counters sampled every few seconds: per series and bucket, the
 * increase of the hour's highest sample over the previous hour's (carried forward through hours without a
 * sample); a series first seen inside the window started at zero. Summed over series, per hour (0..hours-1).
 */
export function hourlyBuckets(samples: readonly BucketSample[], hours: number): Buckets[] {
  const bySeries = new Map<string, Map<string, Map<number, number>>>();
  for (const s of samples) {
    const les = bySeries.get(s.series) ?? new Map<string, Map<number, number>>();
    bySeries.set(s.series, les);
    const hs = les.get(s.le) ?? new Map<number, number>();
    les.set(s.le, hs);
    hs.set(s.hour, Math.max(hs.get(s.hour) ?? 0, s.value));
  }
  const sums = Array.from({ length: hours }, () => new Map<string, number>());
  for (const les of bySeries.values()) {
    for (const [le, hs] of les) {
      let previous = hs.get(-1) ?? 0;
      for (let h = 0; h < hours; h++) {
        const now = Math.max(previous, hs.get(h) ?? previous);
        const sum = sums[h] as Map<string, number>;
        sum.set(le, (sum.get(le) ?? 0) + (now - previous));
        previous = now;
      }
    }
  }
  return sums.map((m) =>
    [...m].map(([le, count]) => ({ le: parseLe(le), count })).sort((a, b) => a.le - b.le),
  );
}

/** Bucket-wise sum of several hours' buckets. */
export function addBuckets(list: readonly Buckets[]): Buckets {
  const sum = new Map<number, number>();
  for (const b of list) for (const { le, count } of b) sum.set(le, (sum.get(le) ?? 0) + count);
  return [...sum].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** Number of observations (the +Inf bucket, else the largest). */
export function observations(b: Buckets): number {
  return b.length ? Math.max(...b.map((x) => x.count)) : 0;
}

/**
 * The q-quantile of cumulative buckets as Prometheus' histogram_quantile estimates it: linear interpolation
 * inside the bucket that holds the rank; a rank in the +Inf bucket answers the highest finite bound.
 * Null when there is no observation.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | null {
  const total = observations(buckets);
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    if (Number.isFinite(le)) lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

// --- forecast MAPE ------------------------------------------------------------------------------------------

/** One lane's backtest of the served model. */
export interface LaneBacktest {
  readonly lane: string;
  readonly atMs: number;
  readonly mape: number | null;
}

/**
 * The median over lanes of each lane's latest backtest MAPE as it stood at `asOfMs` (lanes whose MAPE is
 * undefined — all-zero actuals — are left out). Null when no lane has one.
 */
export function mapeAsOf(
  rows: readonly LaneBacktest[],
  asOfMs: number,
): { value: number | null; lanes: number } {
  const latest = new Map<string, LaneBacktest>();
  for (const r of rows) {
    if (r.atMs >= asOfMs) continue;
    const prev = latest.get(r.lane);
    if (!prev || prev.atMs < r.atMs) latest.set(r.lane, r);
  }
  const values = [...latest.values()].map((r) => r.mape).filter((m): m is number => m !== null);
  return { value: median(values), lanes: values.length };
}
