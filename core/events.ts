import { z } from 'zod';

/**
 * Canonical event contract v1 (GUIDE §3); revision 1.1 added the optional `units` (shipment.committed) and
 * `capacity` (tms.tender), so every 1.0 event is still valid and `schemaVersion` stays 1.
 *
 * Compatibility rule: v1 only ever gains optional fields. Unknown fields are kept (loose objects),
 * so a newer producer never breaks an older consumer. A breaking change becomes schemaVersion 2 with
 * its own schema beside this one; consumers dispatch on `schemaVersion` and v1 producers keep working.
 */
export const SCHEMA_VERSION = 1 as const;

const rfc3339 = z.iso.datetime({ offset: true, local: false });
const id = z.string().min(1).max(256);
/**
 * The event id is the JetStream dedupe key (Nats-Msg-Id), which NATS trims: `" x "` would be deduplicated
 * against `x`, and an all-space id not at all. So: printable characters, no surrounding white space.
 */
export const EVENT_ID_PATTERN = /^[^\s\p{C}](?:[^\p{C}]*[^\s\p{C}])?$/u;
const eventId = id.regex(EVENT_ID_PATTERN, 'printable characters without leading or trailing white space');
const nonEmpty = z.string().min(1).max(512);
const qty = z.number().finite().nonnegative();
const positive = z.number().finite().positive();

export const customerTiers = ['tier1', 'tier2', 'tier3'] as const;
export const tmsStatuses = [
  'picked_up',
  'departed',
  'arrived',
  'out_for_delivery',
  'delivered',
  'delayed',
  'exception',
] as const;

export const envelopeSchema = z.looseObject({
  id: eventId,
  type: z.string().min(1),
  occurredAt: rfc3339,
  source: z.string().min(1).max(128).optional(),
  schemaVersion: z.literal(SCHEMA_VERSION).default(SCHEMA_VERSION),
  correlationId: z.string().max(256).optional(),
});

const line = z.object({ sku: nonEmpty, qty });

export const eventBodies = {
  'shipment.committed': {
    shipmentId: id,
    customerId: id,
    customerTier: z.enum(customerTiers),
    warehouseId: id,
    lane: nonEmpty,
    promisedShipBy: rfc3339,
    promisedDeliverBy: rfc3339.optional(),
    orderId: id.optional(),
    carrierId: id.optional(),
    lines: z.array(line).max(10_000).optional(),
    region: nonEmpty.optional(),
    /** v1.1: units the shipment takes on a truck (same unit as the tender's `capacity`); absent = 1. */
    units: qty.optional(),
  },
  'shipment.cancelled': { shipmentId: id, reason: nonEmpty.optional() },
  'wms.pick': { shipmentId: id, warehouseId: id, sku: nonEmpty, qtyOrdered: qty, qtyPicked: qty },
  'wms.pack': { shipmentId: id, warehouseId: id },
  'wms.ship_scan': { shipmentId: id, warehouseId: id },
  'wms.cycle_count': {
    warehouseId: id,
    sku: nonEmpty,
    countedQty: qty,
    systemQty: qty,
    location: nonEmpty.optional(),
  },
  'tms.tender': {
    loadId: id,
    carrierId: id,
    shipmentIds: z.array(id).min(1).max(10_000),
    /** v1.1: units the truck holds (the shipments' `units` fill it). */
    capacity: positive.optional(),
  },
  'tms.tender_response': { loadId: id, carrierId: id, accepted: z.boolean(), reason: nonEmpty.optional() },
  'tms.status': {
    shipmentId: id,
    status: z.enum(tmsStatuses),
    code: z.string().max(16).optional(),
    location: nonEmpty.optional(),
    eta: rfc3339.optional(),
  },
  'tms.pod': { shipmentId: id },
  'crm.contact': { customerId: id, reason: nonEmpty, shipmentId: id.optional() },
} as const;

export type EventType = keyof typeof eventBodies;
export const eventTypes = Object.keys(eventBodies) as EventType[];

export const eventSchemas = Object.fromEntries(
  Object.entries(eventBodies).map(([type, body]) => [
    type,
    envelopeSchema.extend({ type: z.literal(type), ...body }),
  ]),
) as {
  [K in EventType]: ReturnType<
    typeof envelopeSchema.extend<{ type: z.ZodLiteral<K> } & (typeof eventBodies)[K]>
  >;
};

export type EventOf<K extends EventType> = z.output<(typeof eventSchemas)[K]>;
export type CanonicalEvent = { [K in EventType]: EventOf<K> }[EventType];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventBodies, type);
}

/** Epoch milliseconds of an RFC 3339 timestamp already validated by the schema. */
export function epochMs(rfc3339Time: string): number {
  return Date.parse(rfc3339Time);
}

/** The key that decides an event's partition: all events of one shipment (or load, warehouse…) stay in order together. */
export function partitionKey(event: CanonicalEvent): string {
  switch (event.type) {
    case 'wms.cycle_count':
      return `wh:${event.warehouseId}`;
    case 'tms.tender':
    case 'tms.tender_response':
      return `load:${event.loadId}`;
    case 'crm.contact':
      return event.shipmentId ? `shp:${event.shipmentId}` : `cust:${event.customerId}`;
    default:
      return `shp:${event.shipmentId}`;
  }
}
