import { z } from 'zod';
import { queryRows, type Store } from '../core/mod.ts';
import { formatDay, parseDay } from './days.ts';
import { type LaneForecast, laneHierarchy, type ReconcileMethod, reconcile } from './reconcile.ts';
import type { LatestRun, StoredForecastRow } from './store-queries.ts';
import type { ForecastPoint } from './weekly.ts';

/**
 * Forecasts at the warehouse and network level, reconciled from the latest lane forecasts, so a planner's
 * lane plan and the network plan agree to the shipment. Stored runs forecast lanes only, so the method
 * served is bottom-up (HIERARCHY_METHOD; see forecasting/README.md "Hierarchy" for the backtest behind it).
 * A lane forecast over all warehouses is split into its warehouses by their share of the lane's committed
 * volume over the last SPLIT_DAYS days. The aggregates cover the days every lane's forecast covers; a lane
 * whose latest forecast ends before the newest forecast starts (no longer forecast) is left out.
 * Interval bounds of an aggregate assume the members' errors independent (root sum of squared half-widths,
 * like the weekly sums): approximate, and too narrow when lanes move together.
 */
export const HIERARCHY_METHOD: ReconcileMethod = 'bottom-up';
export const SPLIT_DAYS = 56;

export interface NodeForecast {
  readonly level: 'warehouse' | 'total';
  /** Warehouse id ('' = lanes with no warehouse on record), or TOTAL. */
  readonly key: string;
  readonly lanes: number;
  readonly points: ForecastPoint[];
}

const splitRow = z.object({ lane: z.string(), warehouse_id: z.string(), volume: z.coerce.number() });

/** Lane → warehouse → committed shipments over the last SPLIT_DAYS days before `end`. */
export async function warehouseSplits(store: Store, end: number): Promise<Map<string, Map<string, number>>> {
  const rows = z.array(splitRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT lane, warehouse_id, toFloat64(uniqExactMerge(shipments)) AS volume
       FROM ${store.table('lane_daily_volume')}
       WHERE measure = 'committed' AND day >= {from:Date} AND day < {end:Date}
       GROUP BY lane, warehouse_id`,
      { from: formatDay(end - SPLIT_DAYS), end: formatDay(end) },
    ),
  );
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const m = out.get(r.lane) ?? new Map<string, number>();
    m.set(r.warehouse_id, r.volume);
    out.set(r.lane, m);
  }
  return out;
}

/** Warehouse or total nodes from the latest runs' rows (one model), reconciled. */
export function nodeForecasts(
  runs: readonly LatestRun[],
  rows: readonly StoredForecastRow[],
  splits: ReadonlyMap<string, ReadonlyMap<string, number>>,
  level: 'warehouse' | 'total',
): NodeForecast[] {
  const byRun = new Map<string, StoredForecastRow[]>();
  for (const r of rows) {
    const k = [r.lane, r.warehouse_id, r.run_id].join('\u001f');
    const list = byRun.get(k) ?? [];
    list.push(r);
    byRun.set(k, list);
  }
  const dayOf = (r: StoredForecastRow) => parseDay(r.date) ?? Number.NaN;
  const found = runs
    .map((run) => byRun.get([run.lane, run.warehouse_id, run.run_id].join('\u001f')) ?? [])
    .filter((p) => p.length > 0);
  if (found.length === 0) return [];
  const first = Math.max(...found.map((p) => Math.min(...p.map(dayOf))));
  // A lane whose latest forecast ends before the newest one starts is no longer forecast: left out.
  const paths = found.filter((p) => Math.max(...p.map(dayOf)) >= first);
  const last = Math.min(...paths.map((p) => Math.max(...p.map(dayOf))));
  if (!(last >= first)) return [];
  const days = last - first + 1;
  const levels = [...new Set(paths.flatMap((p) => p.flatMap((r) => r.levels)))].sort((a, b) => a - b);
  // Per lane and day: the mean and each level's half-widths below and above it.
  const lanes: (LaneForecast & { lo: number[][]; hi: number[][] })[] = paths.map((p) => {
    const mean = new Array<number>(days).fill(0);
    const lo = levels.map(() => new Array<number>(days).fill(0));
    const hi = levels.map(() => new Array<number>(days).fill(0));
    for (const r of p) {
      const t = dayOf(r) - first;
      if (t < 0 || t >= days) continue;
      mean[t] = r.mean;
      levels.forEach((level, j) => {
        const i = r.levels.indexOf(level);
        if (i < 0) return;
        (lo[j] as number[])[t] = Math.max(0, r.mean - (r.lower[i] ?? r.mean));
        (hi[j] as number[])[t] = Math.max(0, (r.upper[i] ?? r.mean) - r.mean);
      });
    }
    const head = p[0] as StoredForecastRow;
    return { lane: head.lane, warehouse: head.warehouse_id, mean, lo, hi };
  });
  const h = laneHierarchy(lanes, splits);
  const rec = reconcile(h, HIERARCHY_METHOD);
  const wanted =
    level === 'total' ? [{ index: 0, key: 'TOTAL' }] : h.warehouses.map((w, i) => ({ index: i + 1, key: w }));
  return wanted.map(({ index, key }) => {
    const agg = h.aggregates[index] as { members: readonly number[] };
    const mean = rec.aggregates[index] as number[];
    const points: ForecastPoint[] = mean.map((m, t) => ({
      date: formatDay(first + t),
      mean: m,
      intervals: levels.map((level, j) => {
        let lo = 0;
        let hi = 0;
        for (const i of agg.members) {
          // A leaf (a lane, or its share at one warehouse) has its lane's half-widths times its share.
          const { from, share } = h.pieces[i] as (typeof h.pieces)[number];
          const lane = lanes[from] as (typeof lanes)[number];
          lo += (share * ((lane.lo[j] as number[])[t] as number)) ** 2;
          hi += (share * ((lane.hi[j] as number[])[t] as number)) ** 2;
        }
        return { level, lower: Math.max(0, m - Math.sqrt(lo)), upper: m + Math.sqrt(hi) };
      }),
    }));
    return { level, key, lanes: new Set(agg.members.map((i) => h.pieces[i]?.lane)).size, points };
  });
}

/** The day after the newest forecast origin (the end of the history the splits are read from). */
export function splitEnd(runs: readonly LatestRun[]): number {
  return Math.max(...runs.map((r) => parseDay(r.origin) ?? 0));
}
