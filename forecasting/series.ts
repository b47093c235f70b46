import { RejectError } from '../core/mod.ts';
import { formatDay } from './days.ts';

/** One observed day of one lane (optionally split by warehouse), as read from a CSV or from ClickHouse. */
export interface VolumeRow {
  readonly lane: string;
  /** '' when the series is the lane over all warehouses. */
  readonly warehouse: string;
  readonly day: number;
  readonly volume: number;
  readonly regressors?: Readonly<Record<string, number>>;
  /** Where the row came from (`line 17`), for error messages. */
  readonly source?: string;
}

/**
 * A lane's daily volume, zero-filled, oldest day first. Regressor arrays start on the same day and may
 * run past the last observed day: those extra values are known future inputs (holidays, promotions,
 * commitments already made).
 */
export interface LaneSeries {
  readonly key: string;
  readonly lane: string;
  readonly warehouse: string;
  readonly start: number;
  readonly values: Float64Array;
  readonly regressors: Readonly<Record<string, Float64Array>>;
}

export function seriesKey(lane: string, warehouse: string): string {
  return warehouse === '' ? lane : `${lane}@${warehouse}`;
}

export function lastDay(series: LaneSeries): number {
  return series.start + series.values.length - 1;
}

export function meanVolume(series: LaneSeries): number {
  let sum = 0;
  for (const v of series.values) sum += v;
  return series.values.length === 0 ? 0 : sum / series.values.length;
}

/**
 * Groups rows into zero-filled series. Each series runs from its own first day (or `start`, when the data
 * is known to cover all lanes from then) to `end` (default: the last day over all rows), because a day
 * without a row is a day without shipments, not an unknown.
 * Rejects duplicate days and negative or non-finite volumes, naming the lane, the day and the row.
 */
export function buildSeries(
  rows: Iterable<VolumeRow>,
  opts: { start?: number; end?: number } = {},
): LaneSeries[] {
  const groups = new Map<string, VolumeRow[]>();
  let maxDay = Number.NEGATIVE_INFINITY;
  const regressorNames = new Set<string>();
  for (const row of rows) {
    if (!Number.isFinite(row.volume) || row.volume < 0) {
      throw new RejectError(
        'SERIES_VOLUME_INVALID',
        `volume: got ${row.volume} for lane ${row.lane} on ${formatDay(row.day)}${at(row)}, expected a number >= 0`,
        [{ field: 'volume', value: row.volume, expected: 'a number >= 0' }],
      );
    }
    const key = seriesKey(row.lane, row.warehouse);
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
    }
    group.push(row);
    if (row.day > maxDay) maxDay = row.day;
    for (const name of Object.keys(row.regressors ?? {})) regressorNames.add(name);
  }
  const end = opts.end ?? maxDay;
  const out: LaneSeries[] = [];
  for (const [key, group] of groups) {
    group.sort((a, b) => a.day - b.day);
    const first = group[0];
    if (!first) continue;
    const start = opts.start === undefined ? first.day : Math.min(opts.start, first.day);
    const length = end - start + 1;
    if (length <= 0) continue;
    const values = new Float64Array(length);
    const regressors: Record<string, Float64Array> = {};
    for (const name of regressorNames) regressors[name] = new Float64Array(length);
    let previous: VolumeRow | undefined;
    for (const row of group) {
      if (previous && previous.day === row.day) {
        throw new RejectError(
          'SERIES_DUPLICATE_DAY',
          `date: ${formatDay(row.day)} appears twice for lane ${key}${at(previous)}${at(row, ' and')}, expected one row per lane and date`,
          [{ field: 'date', value: formatDay(row.day), expected: 'one row per lane and date' }],
        );
      }
      previous = row;
      const i = row.day - start;
      if (i >= length) continue;
      values[i] = row.volume;
      for (const [name, value] of Object.entries(row.regressors ?? {})) {
        const arr = regressors[name];
        if (arr) arr[i] = value;
      }
    }
    out.push({ key, lane: first.lane, warehouse: first.warehouse, start, values, regressors });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function at(row: VolumeRow, prefix = ' at'): string {
  return row.source ? `${prefix} ${row.source}` : '';
}

/** The first `length` days of a series (a backtest's view at an origin); regressors stay whole. */
export function truncate(series: LaneSeries, length: number): LaneSeries {
  return { ...series, values: series.values.subarray(0, length) };
}

/** Keeps the named lanes; an unknown name is an error that lists some known ones. */
export function selectLanes(
  series: readonly LaneSeries[],
  lanes: readonly string[] | undefined,
): LaneSeries[] {
  if (!lanes || lanes.length === 0) return [...series];
  const known = new Set(series.map((s) => s.lane));
  const unknown = lanes.filter((l) => !known.has(l));
  if (unknown.length > 0) {
    const sample = [...known].slice(0, 5).join(', ');
    throw new RejectError(
      'LANE_UNKNOWN',
      `lane: got ${JSON.stringify(unknown[0])}, expected a lane in the series (${known.size} lanes, e.g. ${sample})`,
      unknown.map((l) => ({ field: 'lane', value: l, expected: 'a lane present in the series' })),
      { httpStatus: 404 },
    );
  }
  return series.filter((s) => lanes.includes(s.lane));
}
