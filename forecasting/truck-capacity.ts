import type { CapacityEntry } from '../core/mod.ts';

/**
 * Which capacity a lane's trucks have (pure). Declared capacities (DOCKSIDE_CAPACITY_FILE) win over
 * learned ones (the latest `tms.tender` carrying `capacity`, per lane and carrier): a planner's
 * statement is the plan, a tender is one truck that happened to run.
 *
 * - With a carrier: that carrier's declared capacity on the lane, else its learned one, else the lane's
 *   declared any-carrier capacity.
 * - Without: the lane's declared any-carrier capacity, else the smallest capacity of any carrier on the
 *   lane (declared or learned), so the trucks are never too few whichever of them runs.
 */

export interface LearnedCapacity {
  readonly lane: string;
  readonly carrier: string;
  readonly capacity: number;
}

export interface LaneCapacity {
  readonly capacity: number;
  /** The carrier it is the capacity of; null = any carrier on the lane. */
  readonly carrier: string | null;
  readonly source: 'config' | 'tenders';
}

export function laneCapacity(
  lane: string,
  carrier: string | undefined,
  declared: readonly CapacityEntry[],
  learned: readonly LearnedCapacity[],
): LaneCapacity | undefined {
  const anyCarrier = declared.find((d) => d.lane === lane && d.carrier === undefined);
  const lanewide: LaneCapacity | undefined = anyCarrier && {
    capacity: anyCarrier.capacity,
    carrier: null,
    source: 'config',
  };
  const perCarrier = new Map<string, LaneCapacity>();
  for (const l of learned) {
    if (l.lane === lane)
      perCarrier.set(l.carrier, { capacity: l.capacity, carrier: l.carrier, source: 'tenders' });
  }
  for (const d of declared) {
    if (d.lane === lane && d.carrier !== undefined)
      perCarrier.set(d.carrier, { capacity: d.capacity, carrier: d.carrier, source: 'config' });
  }
  if (carrier !== undefined) return perCarrier.get(carrier) ?? lanewide;
  if (lanewide) return lanewide;
  let smallest: LaneCapacity | undefined;
  for (const c of [...perCarrier.values()].sort((a, b) => String(a.carrier).localeCompare(String(b.carrier))))
    if (!smallest || c.capacity < smallest.capacity) smallest = c;
  return smallest;
}
