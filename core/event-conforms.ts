import { z } from 'zod';
import { customerTiers, EVENT_ID_PATTERN, tmsStatuses } from './events.ts';

/**
 * The event contract checked by hand: field by field, the same limits as the zod schemas in events.ts
 * and the very regex zod uses for RFC 3339 times, without building a parsed copy. It is several times
 * cheaper than zod and allocates nothing, which matters on the import and detection hot paths. It only
 * ever says "certainly valid": anything else goes through the schemas, so what is accepted, and every
 * error, is exactly the schemas' (test/foundation/event-conforms.test.ts proves it field by field and on
 * random mutations). Loose objects keep unknown keys, so the input itself is the parsed event.
 */
const DATETIME = z.regexes.datetime({ offset: true, local: false });
const TIERS: ReadonlySet<unknown> = new Set(customerTiers);
const STATUSES: ReadonlySet<unknown> = new Set(tmsStatuses);

type Obj = Record<string, unknown>;

const str = (v: unknown, min: number, max: number) =>
  typeof v === 'string' && v.length >= min && v.length <= max;
const optStr = (v: unknown, min: number, max: number) => v === undefined || str(v, min, max);
const id = (v: unknown) => str(v, 1, 256);
const optId = (v: unknown) => v === undefined || id(v);
const nonEmpty = (v: unknown) => str(v, 1, 512);
const optNonEmpty = (v: unknown) => v === undefined || nonEmpty(v);
const time = (v: unknown) => typeof v === 'string' && DATETIME.test(v);
const optTime = (v: unknown) => v === undefined || time(v);
const qty = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const optQty = (v: unknown) => v === undefined || qty(v);
const optPositive = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v > 0);
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * True when `input` certainly satisfies the contract (then `schemaVersion` is defaulted in place, as zod
 * does); false means "not sure": the schema decides, and explains.
 */
export function conformsToContract(input: unknown): boolean {
  if (!isObj(input)) return false;
  const e = input;
  if (
    !id(e.id) ||
    !EVENT_ID_PATTERN.test(e.id as string) ||
    !time(e.occurredAt) ||
    !optStr(e.source, 1, 128) ||
    (e.schemaVersion !== undefined && e.schemaVersion !== 1) ||
    !optStr(e.correlationId, 0, 256) ||
    !body(e)
  )
    return false;
  if (e.schemaVersion === undefined) {
    // A frozen input cannot take the default: the schemas make a copy that has it.
    if (!Object.isExtensible(e)) return false;
    e.schemaVersion = 1;
  }
  return true;
}

function body(e: Obj): boolean {
  switch (e.type) {
    case 'shipment.committed':
      return (
        id(e.shipmentId) &&
        id(e.customerId) &&
        TIERS.has(e.customerTier) &&
        id(e.warehouseId) &&
        nonEmpty(e.lane) &&
        time(e.promisedShipBy) &&
        optTime(e.promisedDeliverBy) &&
        optId(e.orderId) &&
        optId(e.carrierId) &&
        optNonEmpty(e.region) &&
        optQty(e.units) &&
        (e.lines === undefined || lines(e.lines))
      );
    case 'shipment.cancelled':
      return id(e.shipmentId) && optNonEmpty(e.reason);
    case 'wms.pick':
      return (
        id(e.shipmentId) && id(e.warehouseId) && nonEmpty(e.sku) && qty(e.qtyOrdered) && qty(e.qtyPicked)
      );
    case 'wms.pack':
    case 'wms.ship_scan':
      return id(e.shipmentId) && id(e.warehouseId);
    case 'wms.cycle_count':
      return (
        id(e.warehouseId) &&
        nonEmpty(e.sku) &&
        qty(e.countedQty) &&
        qty(e.systemQty) &&
        optNonEmpty(e.location)
      );
    case 'tms.tender':
      return (
        id(e.loadId) &&
        id(e.carrierId) &&
        Array.isArray(e.shipmentIds) &&
        e.shipmentIds.length >= 1 &&
        e.shipmentIds.length <= 10_000 &&
        e.shipmentIds.every(id) &&
        optPositive(e.capacity)
      );
    case 'tms.tender_response':
      return id(e.loadId) && id(e.carrierId) && typeof e.accepted === 'boolean' && optNonEmpty(e.reason);
    case 'tms.status':
      return (
        id(e.shipmentId) &&
        STATUSES.has(e.status) &&
        optStr(e.code, 0, 16) &&
        optNonEmpty(e.location) &&
        optTime(e.eta)
      );
    case 'tms.pod':
      return id(e.shipmentId);
    case 'crm.contact':
      return id(e.customerId) && nonEmpty(e.reason) && optId(e.shipmentId);
    default:
      return false;
  }
}

/** Lines are a strict object in the contract (zod drops unknown keys): only exactly {sku, qty} is taken as is. */
function lines(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > 10_000) return false;
  for (const l of v) {
    if (!isObj(l) || !nonEmpty(l.sku) || !qty(l.qty)) return false;
    let keys = 0;
    for (const k in l) {
      if (k !== 'sku' && k !== 'qty') return false;
      keys++;
    }
    if (keys !== 2) return false;
  }
  return true;
}
