import { z } from 'zod';
import { queryRows, type Store } from '../core/mod.ts';
import type { Measure } from './store.ts';

/**
 * The forecast desk's own read: a lane's actual daily volume. Its lanes, runs and their accuracy come from
 * store-queries.ts (the planner API's reads). Rows are checked with zod.
 */
const actualRow = z.object({ day: z.string(), volume: z.coerce.number() });

/**
 * A lane's observed daily volume over [from, to) (dates YYYY-MM-DD), zero-filled from its first day in range. `warehouse` '' = every
 * warehouse of the lane together (as a run without --by-warehouse forecasts it).
 */
export async function laneActuals(
  store: Store,
  q: { measure: Measure; lane: string; warehouse: string; from: string; to: string },
): Promise<{ date: string; volume: number }[]> {
  if (q.from >= q.to) return [];
  const wh = q.warehouse === '' ? '' : 'AND warehouse_id = {warehouse:String}';
  const fill = 'ORDER BY day WITH FILL TO {to:Date} STEP 1';
  const sql =
    q.measure === 'committed'
      ? `SELECT day, toFloat64(uniqExactMerge(shipments)) AS volume FROM ${store.table('lane_daily_volume')}
         WHERE measure = 'committed' AND lane = {lane:String} ${wh} AND day >= {from:Date} AND day < {to:Date}
         GROUP BY day ${fill}`
      : `SELECT s.day AS day, toFloat64(uniqExact(s.shipment_id)) AS volume
         FROM (SELECT shipment_id, argMin(warehouse_id, occurred_at) AS warehouse_id, toDate(min(occurred_at)) AS day
               FROM ${store.table('events')} WHERE type = 'wms.ship_scan' AND shipment_id != '' GROUP BY shipment_id) AS s
         INNER JOIN (SELECT shipment_id FROM ${store.table('events')}
               WHERE type = 'shipment.committed' AND lane = {lane:String} GROUP BY shipment_id) AS c USING (shipment_id)
         WHERE s.day >= {from:Date} AND s.day < {to:Date} ${wh.replace('warehouse_id', 's.warehouse_id')}
         GROUP BY day ${fill}`;
  const rows = z.array(actualRow).parse(await queryRows<unknown>(store, sql, q));
  return rows.map((r) => ({ date: r.day, volume: r.volume }));
}
