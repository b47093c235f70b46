import { z } from 'zod';
import { chTime, queryRows, type Store } from '../core/mod.ts';
import type { LearnedCapacity } from './truck-capacity.ts';

/**
 * The reads behind trucks per lane: the capacity tenders carry (contract v1.1 `tms.tender.capacity`) and
 * the units shipments carry (`shipment.committed.units`). A tender's lane is the lane its shipments were
 * committed on (a load with shipments of two lanes counts for both).
 */

const num = z.coerce.number();
const learnedRow = z.object({ lane: z.string(), carrier: z.string(), cap: num });

/** Per lane and carrier, the capacity of the latest tender that carries one. */
export async function learnedCapacities(store: Store, lanes: readonly string[]): Promise<LearnedCapacity[]> {
  if (lanes.length === 0) return [];
  const events = store.table('events');
  const rows = z.array(learnedRow).parse(
    await queryRows<unknown>(
      store,
      // Aliases differ from column names: ClickHouse would read an alias in place of the column.
      `SELECT c.lane_of AS lane, t.carrier_of AS carrier, argMax(t.capacity_of, t.at) AS cap
       FROM (SELECT JSONExtractString(payload, 'carrierId') AS carrier_of,
                    JSONExtractFloat(payload, 'capacity') AS capacity_of, occurred_at AS at,
                    arrayJoin(JSONExtract(payload, 'shipmentIds', 'Array(String)')) AS sid
             FROM ${events} WHERE type = 'tms.tender' AND JSONExtractFloat(payload, 'capacity') > 0) AS t
       INNER JOIN (SELECT DISTINCT shipment_id AS sid_of, lane AS lane_of FROM ${events}
                   WHERE type = 'shipment.committed' AND lane IN {lanes:Array(String)}) AS c
         ON t.sid = c.sid_of
       GROUP BY lane, carrier
       ORDER BY lane, carrier`,
      { lanes },
    ),
  );
  return rows.map((r) => ({ lane: r.lane, carrier: r.carrier, capacity: r.cap }));
}

const unitsRow = z.object({ lane: z.string(), shipments: num, with_units: num, mean: num });

export interface LaneUnits {
  /** Mean units per shipment, a shipment without `units` counting 1; 1 when there is no shipment. */
  readonly mean: number;
  /** Shipments committed on the lane in the window. */
  readonly shipments: number;
  /** Of those, how many carry `units`. */
  readonly withUnits: number;
}

export const DEFAULT_UNITS: LaneUnits = Object.freeze({ mean: 1, shipments: 0, withUnits: 0 });

/** Units per shipment on each lane over shipments committed in [fromMs, toMs) (latest event of each shipment). */
export async function unitsPerShipment(
  store: Store,
  lanes: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<Map<string, LaneUnits>> {
  if (lanes.length === 0) return new Map();
  const ts = "DateTime64(3, 'UTC')";
  const rows = z.array(unitsRow).parse(
    await queryRows<unknown>(
      store,
      `SELECT lane, toUInt32(count()) AS shipments, toUInt32(countIf(u.1 IS NOT NULL)) AS with_units,
              avg(ifNull(u.1, 1)) AS mean
       FROM (SELECT lane, shipment_id,
                    argMax(tuple(JSONExtract(payload, 'units', 'Nullable(Float64)')), occurred_at) AS u
             FROM ${store.table('events')}
             WHERE type = 'shipment.committed' AND lane IN {lanes:Array(String)}
               AND occurred_at >= {from:${ts}} AND occurred_at < {to:${ts}}
             GROUP BY lane, shipment_id)
       GROUP BY lane`,
      { lanes, from: chTime(fromMs), to: chTime(toMs) },
    ),
  );
  return new Map(
    rows.map((r) => [r.lane, { mean: r.mean, shipments: r.shipments, withUnits: r.with_units }]),
  );
}
