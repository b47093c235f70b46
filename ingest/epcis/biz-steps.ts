/**
 * EPCIS business step (CBV 2.0) → canonical event. Every CBV step has a mapping, so a standard EPCIS
 * feed never dead-letters for its bizStep; a non-CBV (custom URI) step is rejected, because its meaning
 * is the sender's and guessing it could fire false exceptions.
 *
 *  - ship:     the objects left the site → `wms.ship_scan`
 *  - pack:     `wms.pack`
 *  - pick:     `wms.pick` per quantity element (falls back to handling when the event has no quantities)
 *  - arrived / departed / exception: `tms.status` with that status
 *  - handling: any other step at a site (commissioning, inspecting, storing, …) → `wms.pack`, i.e.
 *    "the shipment is being worked on at this warehouse": it moves no deadline and fires no exception.
 */
export type Target = 'ship' | 'pack' | 'pick' | 'arrived' | 'departed' | 'exception' | 'handling';

export const CBV_BIZ_STEPS: Readonly<Record<string, Target>> = {
  shipping: 'ship',
  packing: 'pack',
  picking: 'pick',
  receiving: 'arrived',
  arriving: 'arrived',
  accepting: 'arrived',
  unloading: 'arrived',
  departing: 'departed',
  loading: 'departed',
  transporting: 'departed',
  // A prior shipping event is declared void: the shipment did not leave as reported.
  void_shipping: 'exception',
  assembling: 'handling',
  collecting: 'handling',
  commissioning: 'handling',
  consigning: 'handling',
  creating_class_instance: 'handling',
  cycle_counting: 'handling',
  decommissioning: 'handling',
  destroying: 'handling',
  disassembling: 'handling',
  dispensing: 'handling',
  encoding: 'handling',
  entering_exiting: 'handling',
  holding: 'handling',
  inspecting: 'handling',
  installing: 'handling',
  killing: 'handling',
  other: 'handling',
  removing: 'handling',
  repackaging: 'handling',
  repairing: 'handling',
  replacing: 'handling',
  reserving: 'handling',
  retail_selling: 'handling',
  sampling: 'handling',
  sensor_reporting: 'handling',
  staging_outbound: 'handling',
  stock_taking: 'handling',
  stocking: 'handling',
  storing: 'handling',
  unpacking: 'handling',
};

/** Forms a CBV step may take: bare (`shipping`), URN, GS1 web vocabulary URI or compact IRI. */
const PREFIXES = [
  'urn:epcglobal:cbv:bizstep:',
  'https://ref.gs1.org/cbv/BizStep-',
  'http://ref.gs1.org/cbv/BizStep-',
  'https://gs1.org/voc/BizStep-',
  'gs1:BizStep-',
  'cbv:BizStep-',
];

export type BizStep =
  | { readonly kind: 'cbv'; readonly name: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'custom'; readonly uri: string };

export function normalizeBizStep(value: string | undefined): BizStep {
  if (value === undefined || value === '') return { kind: 'none' };
  let name = value;
  for (const p of PREFIXES) {
    if (value.startsWith(p)) {
      name = value.slice(p.length);
      break;
    }
  }
  return Object.hasOwn(CBV_BIZ_STEPS, name) ? { kind: 'cbv', name } : { kind: 'custom', uri: value };
}
