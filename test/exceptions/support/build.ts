import type { CanonicalEvent, DetectedException, FeedsConfig, Policy } from '../../../core/mod.ts';
import { defaultPolicy, parsePolicy, partitionOf } from '../../../core/mod.ts';
import { ExceptionSet, Topology } from '../../../exceptions/mod.ts';

export const T0 = Date.parse('2026-03-02T08:00:00Z');
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const iso = (ms: number) => new Date(ms).toISOString();

let n = 0;
const base = (type: string, atMs: number, id?: string) => ({
  id: id ?? `e${++n}`,
  type,
  occurredAt: iso(atMs),
  source: 'test',
  schemaVersion: 1 as const,
});

export const ev = {
  commit: (
    s: string,
    at: number,
    o: Partial<{
      shipBy: number;
      deliverBy: number;
      tier: 'tier1' | 'tier2' | 'tier3';
      carrier: string;
      customer: string;
      wh: string;
      id: string;
    }> = {},
  ): CanonicalEvent => ({
    ...base('shipment.committed', at, o.id),
    type: 'shipment.committed',
    shipmentId: s,
    customerId: o.customer ?? 'C1',
    customerTier: o.tier ?? 'tier2',
    warehouseId: o.wh ?? 'WH1',
    lane: 'SP>RJ',
    promisedShipBy: iso(o.shipBy ?? at + 2 * HOUR),
    promisedDeliverBy: iso(o.deliverBy ?? at + 72 * HOUR),
    ...(o.carrier ? { carrierId: o.carrier } : {}),
  }),
  scan: (s: string, at: number, id?: string): CanonicalEvent => ({
    ...base('wms.ship_scan', at, id),
    type: 'wms.ship_scan',
    shipmentId: s,
    warehouseId: 'WH1',
  }),
  pick: (s: string, at: number, ordered: number, picked: number, id?: string): CanonicalEvent => ({
    ...base('wms.pick', at, id),
    type: 'wms.pick',
    shipmentId: s,
    warehouseId: 'WH1',
    sku: 'SKU1',
    qtyOrdered: ordered,
    qtyPicked: picked,
  }),
  cancel: (s: string, at: number): CanonicalEvent => ({
    ...base('shipment.cancelled', at),
    type: 'shipment.cancelled',
    shipmentId: s,
  }),
  status: (
    s: string,
    at: number,
    status: 'picked_up' | 'departed' | 'arrived' | 'out_for_delivery' | 'delivered' | 'delayed' | 'exception',
    eta?: number,
  ): CanonicalEvent => ({
    ...base('tms.status', at),
    type: 'tms.status',
    shipmentId: s,
    status,
    ...(eta !== undefined ? { eta: iso(eta) } : {}),
  }),
  pod: (s: string, at: number): CanonicalEvent => ({
    ...base('tms.pod', at),
    type: 'tms.pod',
    shipmentId: s,
  }),
  count: (wh: string, at: number, counted: number, system: number): CanonicalEvent => ({
    ...base('wms.cycle_count', at),
    type: 'wms.cycle_count',
    warehouseId: wh,
    sku: 'SKU9',
    countedQty: counted,
    systemQty: system,
  }),
  tender: (load: string, at: number, carrier: string, id?: string): CanonicalEvent => ({
    ...base('tms.tender', at, id),
    type: 'tms.tender',
    loadId: load,
    carrierId: carrier,
    shipmentIds: ['S1'],
  }),
  response: (load: string, at: number, carrier: string, accepted: boolean): CanonicalEvent => ({
    ...base('tms.tender_response', at),
    type: 'tms.tender_response',
    loadId: load,
    carrierId: carrier,
    accepted,
  }),
  contact: (customer: string, at: number, shipmentId?: string): CanonicalEvent => ({
    ...base('crm.contact', at),
    type: 'crm.contact',
    customerId: customer,
    reason: 'wismo',
    ...(shipmentId ? { shipmentId } : {}),
  }),
};

export function policyOf(yaml: string): Policy {
  return parsePolicy(yaml, 'test');
}

/**
 * Runs events through the in-memory topology (the live detector's classes) in the given order and ends
 * with the watermark at `endMs`; returns the final states and every state change.
 */
export function detect(
  events: readonly CanonicalEvent[],
  opts: {
    endMs?: number;
    policy?: Policy;
    latenessMs?: number;
    partitions?: number;
    feeds?: FeedsConfig;
  } = {},
): { finals: DetectedException[]; changes: DetectedException[]; late: number } {
  const topology = new Topology({
    policy: opts.policy ?? defaultPolicy,
    partitions: opts.partitions ?? 2,
    partitionOf,
    allowedLatenessMs: opts.latenessMs ?? 0,
    idleAdvanceMs: Number.POSITIVE_INFINITY,
    strict: true,
    ...(opts.feeds ? { feeds: opts.feeds } : {}),
  });
  const changes: DetectedException[] = [];
  let late = 0;
  for (const e of events) {
    const r = topology.onEvent(e, Date.now());
    changes.push(...r.emissions);
    if (r.late) late++;
    changes.push(...topology.advancePartition(r.partition, Date.now()));
  }
  if (opts.endMs !== undefined) changes.push(...topology.finish(opts.endMs, Date.now()));
  const set = new ExceptionSet();
  set.add(changes);
  return { finals: set.list(), changes, late };
}

export const ofType = (list: readonly DetectedException[], type: string) =>
  list.filter((e) => e.type === type);
