import { z } from 'zod';
import { type CanonicalEvent, customerTiers, tmsStatuses } from '../core/mod.ts';
import { timeMs } from './time.ts';

/**
 * Facts: what the detector knows of each subject, kept as order-independent sets (sorted by event time,
 * then id; a repeated event id is a no-op). Rules are functions of these facts, so the same events in any
 * order within the allowed lateness yield the same facts and therefore the same exceptions.
 * The zod schemas double as the snapshot format (a snapshot read back is a boundary).
 */
const ms = z.number();
export const refSchema = z.object({ e: z.string(), at: ms });
export type Ref = z.output<typeof refSchema>;

const commitmentSchema = refSchema.extend({
  cust: z.string(),
  tier: z.enum(customerTiers),
  wh: z.string(),
  lane: z.string(),
  shipBy: ms,
  deliverBy: ms.optional(),
  carrier: z.string().optional(),
});
export type Commitment = z.output<typeof commitmentSchema>;

const statusSchema = refSchema.extend({
  s: z.enum(tmsStatuses),
  eta: ms.optional(),
  code: z.string().optional(),
  /** The event's source, kept on `delivered` statuses only: whose feed reported the delivery (feeds.ts). */
  src: z.string().optional(),
});
export type Status = z.output<typeof statusSchema>;

const shortPickSchema = refSchema.extend({ wh: z.string(), sku: z.string(), ordered: ms, picked: ms });
export type ShortPick = z.output<typeof shortPickSchema>;

/** Published exception states of a subject: id → [version, detectedAt ms, content hash]. */
export const publishedSchema = z.record(z.string(), z.tuple([ms, ms, ms]));
export type Published = z.output<typeof publishedSchema>;

export const shipmentFactsSchema = z.object({
  /** Latest event time seen for the subject: state older than the retention is evicted. */
  last: ms,
  commits: z.array(commitmentSchema).optional(),
  scans: z.array(refSchema).optional(),
  /** Earliest WMS activity (pick or pack) time: the WMS feed demonstrably covers this shipment. */
  wms: ms.optional(),
  cancels: z.array(refSchema).optional(),
  statuses: z.array(statusSchema).optional(),
  pods: z.array(refSchema).optional(),
  shorts: z.array(shortPickSchema).optional(),
  /** WISMO contact ids about this shipment (dedupe for the per-customer rate). */
  contacts: z.array(z.string()).optional(),
  /** Rule types (space-separated, interned) already counted as suppressed for this shipment's feed. */
  feedOff: z.string().optional(),
  ex: publishedSchema.optional(),
});
export type ShipmentFacts = z.output<typeof shipmentFactsSchema>;

const tenderSchema = refSchema.extend({ carrier: z.string(), shipments: z.array(z.string()) });
const responseSchema = refSchema.extend({
  carrier: z.string(),
  accepted: z.boolean(),
  reason: z.string().optional(),
});
export type Tender = z.output<typeof tenderSchema>;
export type TenderResponse = z.output<typeof responseSchema>;

export const loadFactsSchema = z.object({
  last: ms,
  tenders: z.array(tenderSchema).optional(),
  responses: z.array(responseSchema).optional(),
  ex: publishedSchema.optional(),
});
export type LoadFacts = z.output<typeof loadFactsSchema>;

export const warehouseFactsSchema = z.object({ last: ms, ex: publishedSchema.optional() });
export type WarehouseFacts = z.output<typeof warehouseFactsSchema>;

export const customerFactsSchema = z.object({
  last: ms,
  contacts: z.array(z.string()).optional(),
  ex: publishedSchema.optional(),
});
export type CustomerFacts = z.output<typeof customerFactsSchema>;

/**
 * Shares repeated strings (customers, warehouses, lanes, carriers): each event parses its own copies, and a
 * million shipments in flight would otherwise hold a million copies of a few thousand values.
 */
export class Interner {
  private readonly seen = new Map<string, string>();
  constructor(private readonly max = 200_000) {}
  of(s: string): string {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    if (this.seen.size < this.max) this.seen.set(s, s);
    return s;
  }
}

/**
 * A restored shipment in the shape the live path builds (fields in one fixed order, repeated strings
 * shared): validated snapshot records come out of zod as objects grown key by key, which costs a million
 * restored shipments noticeably more memory than the same state built from events.
 */
export function compactShipmentFacts(f: ShipmentFacts, strings: Interner): ShipmentFacts {
  const out: ShipmentFacts = { last: f.last, commits: undefined };
  Object.assign(out, f);
  if (f.commits) {
    out.commits = f.commits.map(
      (c): Commitment => ({
        e: c.e,
        at: c.at,
        cust: strings.of(c.cust),
        tier: c.tier,
        wh: strings.of(c.wh),
        lane: strings.of(c.lane),
        shipBy: c.shipBy,
        ...(c.deliverBy !== undefined ? { deliverBy: c.deliverBy } : {}),
        ...(c.carrier !== undefined ? { carrier: strings.of(c.carrier) } : {}),
      }),
    );
  }
  if (f.statuses) {
    for (const s of f.statuses) if (s.src !== undefined) s.src = strings.of(s.src);
  }
  if (f.feedOff !== undefined) out.feedOff = strings.of(f.feedOff);
  return out;
}

/** Inserts keeping (at, e) order; returns the list (created if absent) or undefined when `e` was already known. */
export function insertSorted<T extends Ref>(list: T[] | undefined, item: T): T[] | undefined {
  if (!list) return [item];
  let i = list.length;
  for (const x of list) if (x.e === item.e) return undefined;
  while (i > 0) {
    const prev = list[i - 1];
    if (!prev || prev.at < item.at || (prev.at === item.at && prev.e < item.e)) break;
    i--;
  }
  list.splice(i, 0, item);
  return list;
}

/** The commitment in force: the latest by event time (then id), so a re-promise wins in any arrival order. */
export function effectiveCommitment(f: ShipmentFacts): Commitment | undefined {
  const c = f.commits;
  return c ? c[c.length - 1] : undefined;
}

export const PICKUP_CLASS: ReadonlySet<string> = new Set([
  'picked_up',
  'departed',
  'arrived',
  'out_for_delivery',
  'delivered',
]);
export const DEPARTURE_CLASS: ReadonlySet<string> = new Set(['departed', 'out_for_delivery', 'delivered']);

export function statusesOf(f: ShipmentFacts, pred: (s: Status) => boolean): Status[] {
  return f.statuses ? f.statuses.filter(pred) : [];
}

export function firstAfter<T extends Ref>(list: readonly T[] | undefined, afterMs: number): T | undefined {
  if (!list) return undefined;
  for (const x of list) if (x.at > afterMs) return x;
  return undefined;
}

export function anyAtOrBefore(list: readonly Ref[] | undefined, ms: number): boolean {
  const first = list?.[0];
  return first !== undefined && first.at <= ms;
}

/** Applies a shipment-keyed event to the shipment's facts. Pure and idempotent per event id. */
export function applyShipmentEvent(
  f: ShipmentFacts,
  event: CanonicalEvent,
  at: number,
  strings: Interner = new Interner(0),
): void {
  if (at > f.last) f.last = at;
  switch (event.type) {
    case 'shipment.committed': {
      const c: Commitment = {
        e: event.id,
        at,
        cust: strings.of(event.customerId),
        tier: event.customerTier,
        wh: strings.of(event.warehouseId),
        lane: strings.of(event.lane),
        shipBy: timeMs(event.promisedShipBy),
        ...(event.promisedDeliverBy ? { deliverBy: timeMs(event.promisedDeliverBy) } : {}),
        ...(event.carrierId ? { carrier: strings.of(event.carrierId) } : {}),
      };
      f.commits = insertSorted(f.commits, c) ?? f.commits;
      return;
    }
    case 'wms.ship_scan':
      f.scans = insertSorted(f.scans, { e: event.id, at }) ?? f.scans;
      return;
    case 'wms.pick':
      if (event.qtyPicked < event.qtyOrdered) {
        const s: ShortPick = {
          e: event.id,
          at,
          wh: event.warehouseId,
          sku: event.sku,
          ordered: event.qtyOrdered,
          picked: event.qtyPicked,
        };
        f.shorts = insertSorted(f.shorts, s) ?? f.shorts;
      }
      if (f.wms === undefined || at < f.wms) f.wms = at;
      return;
    case 'wms.pack':
      if (f.wms === undefined || at < f.wms) f.wms = at;
      return;
    case 'shipment.cancelled':
      f.cancels = insertSorted(f.cancels, { e: event.id, at }) ?? f.cancels;
      return;
    case 'tms.status': {
      const s: Status = {
        e: event.id,
        at,
        s: event.status,
        ...(event.eta ? { eta: timeMs(event.eta) } : {}),
        ...(event.code ? { code: event.code } : {}),
        ...(event.status === 'delivered' && event.source !== undefined
          ? { src: strings.of(event.source) }
          : {}),
      };
      f.statuses = insertSorted(f.statuses, s) ?? f.statuses;
      return;
    }
    case 'tms.pod':
      f.pods = insertSorted(f.pods, { e: event.id, at }) ?? f.pods;
      return;
    case 'crm.contact':
      if (isWismo(event.reason) && !f.contacts?.includes(event.id))
        f.contacts = [...(f.contacts ?? []), event.id];
      return;
    default:
      return;
  }
}

export function applyLoadEvent(f: LoadFacts, event: CanonicalEvent, at: number): void {
  if (at > f.last) f.last = at;
  if (event.type === 'tms.tender') {
    const t: Tender = { e: event.id, at, carrier: event.carrierId, shipments: [...event.shipmentIds] };
    f.tenders = insertSorted(f.tenders, t) ?? f.tenders;
  } else if (event.type === 'tms.tender_response') {
    const r: TenderResponse = {
      e: event.id,
      at,
      carrier: event.carrierId,
      accepted: event.accepted,
      ...(event.reason ? { reason: event.reason } : {}),
    };
    f.responses = insertSorted(f.responses, r) ?? f.responses;
  }
}

export function isWismo(reason: string): boolean {
  return reason.trim().toLowerCase() === 'wismo';
}
