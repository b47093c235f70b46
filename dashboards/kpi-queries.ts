import { z } from 'zod';
import { chTime, queryRows, type Store } from '../core/mod.ts';
import { type BucketSample, HOUR_MS, type KpiWindow, type LaneBacktest } from './kpi-math.ts';

/**
 * The KPI strip's reads from ClickHouse. Each returns per-hour figures (hour index 0..23 from the window's
 * start) and the figure over the whole window; 64-bit counts are cast in SQL so JSON carries numbers, and
 * rows are checked with zod.
 */

const num = z.coerce.number();
const nullableNum = z.union([z.number(), z.null()]);
const ts = "DateTime64(3, 'UTC')";

function windowParams(w: KpiWindow) {
  return { from: chTime(w.fromMs), to: chTime(w.toMs), fromS: Math.floor(w.fromMs / 1000) };
}

const hourOf = (column: string) => `toInt32(intDiv(toUnixTimestamp(${column}) - {fromS:Int64}, 3600))`;

/** Per hour and over the window; `total` is computed by ClickHouse on the whole window (distinct counts). */
export interface Hourly<T> {
  readonly byHour: ReadonlyMap<number, T>;
  readonly total: T;
}

/**
 * `SELECT <hour> AS h, <measures> FROM <source>` per hour and over the whole window in one query (one
 * snapshot, so the hours and the total agree): grouping sets ((h), ()), the total row being h = NULL.
 */
async function hourly<S extends z.ZodType>(
  store: Store,
  schema: S,
  q: { readonly hour: string; readonly measures: string; readonly source: string },
  params: Record<string, unknown>,
): Promise<Hourly<z.output<S>> | undefined> {
  const rows = z.array(z.object({ h: z.number().nullable() }).and(schema)).parse(
    await queryRows<unknown>(
      store,
      `SELECT ${q.hour} AS h, ${q.measures} FROM ${q.source}
         GROUP BY GROUPING SETS ((h), ()) SETTINGS group_by_use_nulls = 1`,
      params,
    ),
  );
  const total = rows.find((r) => r.h === null);
  if (total === undefined) return undefined;
  return { byHour: new Map(rows.flatMap((r) => (r.h === null ? [] : [[r.h, r] as const]))), total };
}

const wismoRow = z.object({ orders: num, contacts: num });
export type WismoCounts = z.output<typeof wismoRow>;

/**
 * WISMO contacts (`crm.contact` with reason `wismo`, by event id) and shipped orders (distinct shipments
 * with a `wms.ship_scan`), by event time.
 */
export async function wismoCounts(store: Store, w: KpiWindow): Promise<Hourly<WismoCounts> | undefined> {
  const q = {
    hour: hourOf('occurred_at'),
    measures: `toUInt32(uniqExactIf(shipment_id, type = 'wms.ship_scan' AND shipment_id != '')) AS orders,
      toUInt32(uniqExactIf(id, type = 'crm.contact'
        AND lower(trimBoth(JSONExtractString(payload, 'reason'))) = 'wismo')) AS contacts`,
    source: `${store.table('events')}
      WHERE type IN ('wms.ship_scan', 'crm.contact') AND occurred_at >= {from:${ts}} AND occurred_at < {to:${ts}}`,
  };
  return hourly(store, wismoRow, q, windowParams(w));
}

const loadRow = z.object({ loads: num, measured: num, used: num, available: num });
export type LoadCapacity = z.output<typeof loadRow>;

/**
 * Loads tendered (`tms.tender`, the latest tender of each load, in the hour of that tender) and, of those
 * whose load is known, the sums of used and available capacity. A load is `capacityUsed` out of
 * `capacityAvailable` (> 0) when its tender carries both (the producer measured it); else, when it
 * carries `capacity` (contract v1.1: units a truck holds), the units of its shipments (each shipment's
 * latest commitment's `units`, 1 when absent) of that capacity.
 */
export async function loadCapacity(store: Store, w: KpiWindow): Promise<Hourly<LoadCapacity> | undefined> {
  const events = store.table('events');
  const inWindow = `occurred_at >= {from:${ts}} AND occurred_at < {to:${ts}}`;
  const ids = "JSONExtract(payload, 'shipmentIds', 'Array(String)')";
  const perLoad = `SELECT JSONExtractString(payload, 'loadId') AS load_id, max(occurred_at) AS last_at,
           argMax(tuple(JSONExtract(payload, 'capacityUsed', 'Nullable(Float64)'),
                        JSONExtract(payload, 'capacityAvailable', 'Nullable(Float64)'),
                        JSONExtract(payload, 'capacity', 'Nullable(Float64)'), ${ids}), occurred_at) AS cap
     FROM ${events}
     WHERE type = 'tms.tender' AND ${inWindow}
     GROUP BY load_id`;
  const units = `SELECT shipment_id AS unit_sid,
           tupleElement(argMax(tuple(JSONExtract(payload, 'units', 'Nullable(Float64)')), occurred_at), 1) AS unit_n
     FROM ${events}
     WHERE type = 'shipment.committed'
       AND shipment_id IN (SELECT arrayJoin(${ids}) FROM ${events} WHERE type = 'tms.tender' AND ${inWindow})
     GROUP BY shipment_id`;
  // Aliases differ from column names: ClickHouse would read an alias in place of the column.
  const perLoadUnits = `SELECT p.load_id AS load_key, any(p.last_at) AS load_at, any(p.cap) AS load_cap,
           sum(ifNull(u.unit_n, 1)) AS unit_sum
     FROM (SELECT load_id, last_at, cap, arrayJoin(cap.4) AS sid FROM (${perLoad})) AS p
     LEFT JOIN (${units}) AS u ON p.sid = u.unit_sid
     GROUP BY p.load_id`;
  const stated = 'ifNull(load_cap.1 IS NOT NULL AND load_cap.2 > 0, 0)';
  const fromUnits = `(ifNull(load_cap.3 > 0, 0) AND NOT ${stated})`;
  const q = {
    hour: hourOf('load_at'),
    measures: `toUInt32(count()) AS loads, toUInt32(countIf(${stated} OR ${fromUnits})) AS measured,
      sumIf(assumeNotNull(load_cap.1), ${stated}) + sumIf(unit_sum, ${fromUnits}) AS used,
      sumIf(assumeNotNull(load_cap.2), ${stated}) + sumIf(assumeNotNull(load_cap.3), ${fromUnits}) AS available`,
    source: `(${perLoadUnits})`,
  };
  return hourly(store, loadRow, q, windowParams(w));
}

const cycleRow = z.object({ minutes: nullableNum, n: num });
export type CycleTime = z.output<typeof cycleRow>;

/**
 * Median minutes from detection to assignment (exceptions assigned in the window), or to resolution
 * (exceptions a person handled — they were assigned — resolved in the window; the detector's own
 * clearances are not handling).
 */
export async function cycleTimes(
  store: Store,
  w: KpiWindow,
  to: 'assigned' | 'resolved',
): Promise<Hourly<CycleTime> | undefined> {
  const at = to === 'assigned' ? 'assigned_at' : 'resolved_at';
  const where =
    to === 'assigned' ? 'assigned_at IS NOT NULL' : 'resolved_at IS NOT NULL AND assigned_at IS NOT NULL';
  const q = {
    hour: hourOf(`assumeNotNull(${at})`),
    measures: `quantileExactInclusive(0.5)(greatest(0, dateDiff('millisecond', detected_at, assumeNotNull(${at}))) / 60000) AS minutes,
      toUInt32(count()) AS n`,
    source: `${store.table('exceptions')} FINAL WHERE ${where} AND ${at} >= {from:${ts}} AND ${at} < {to:${ts}}`,
  };
  const r = await hourly(store, cycleRow, q, windowParams(w));
  // No row at all: no median (whatever the aggregate answers on an empty set).
  const fix = (c: CycleTime): CycleTime => (c.n === 0 ? { minutes: null, n: 0 } : c);
  return r && { byHour: new Map([...r.byHour].map(([h, c]) => [h, fix(c)])), total: fix(r.total) };
}

const sampleRow = z.object({ series: z.string(), le: z.string(), hour: num, value: z.number() });

/**
 * The highest sample per hour of each bucket of a histogram in metric_samples (`<name>_bucket`), from the
 * hour before the window (hour -1, the baseline of processes already running) to now. A series is one
 * process plus the histogram's labels other than `le`.
 */
export async function histogramSamples(
  store: Store,
  w: KpiWindow,
  histogram: string,
): Promise<BucketSample[]> {
  return z.array(sampleRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT concat(process, ' ', toJSONString(mapFilter((k, v) -> k != 'le', labels))) AS series,
              labels['le'] AS le,
              toInt32(floor((toUnixTimestamp64Milli(ts) - {fromMs:Int64}) / ${HOUR_MS})) AS hour,
              max(value) AS value
       FROM ${store.table('metric_samples')}
       WHERE name = {name:String} AND ts >= {pre:${ts}} AND ts < {to:${ts}}
       GROUP BY series, le, hour`,
      { name: `${histogram}_bucket`, fromMs: w.fromMs, pre: chTime(w.fromMs - HOUR_MS), to: chTime(w.toMs) },
    ),
  );
}

const backtestRow = z
  .object({ lane_key: z.string(), atMs: num, mape: nullableNum })
  .transform(({ lane_key, ...r }) => ({ lane: lane_key, ...r }));

/**
 * The served model's backtests per lane (and warehouse): those of the window, plus each lane's latest before
 * it, so the value at any hour of the window is known.
 */
export async function servedBacktests(store: Store, w: KpiWindow, measure: string): Promise<LaneBacktest[]> {
  const table = store.table('forecast_accuracy');
  const served = 'measure = {measure:String} AND served = 1';
  return z.array(backtestRow).parse(
    await queryRows<unknown>(
      store,
      // The alias must differ from the column: ClickHouse would read it inside WHERE.
      `SELECT concat(lane, char(31), warehouse_id) AS lane_key, toFloat64(toUnixTimestamp64Milli(backtested_at)) AS atMs, mape
       FROM ${table} FINAL
       WHERE ${served} AND backtested_at < {to:${ts}}
         AND (backtested_at >= {from:${ts}} OR (lane, warehouse_id, backtested_at) IN (
           SELECT lane, warehouse_id, max(backtested_at) FROM ${table}
           WHERE ${served} AND backtested_at < {from:${ts}} GROUP BY lane, warehouse_id))`,
      { measure, from: chTime(w.fromMs), to: chTime(w.toMs) },
    ),
  );
}
