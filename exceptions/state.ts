import type { CustomerFacts, LoadFacts, ShipmentFacts, WarehouseFacts } from './facts.ts';
import type { SubjectKind, Subjects } from './types.ts';

/** Partition-key prefixes (core partitionKey) and the subject kind each names. */
export const KIND_OF_PREFIX: Readonly<Record<string, SubjectKind>> = {
  shp: 'shipment',
  load: 'load',
  wh: 'warehouse',
  cust: 'customer',
};
export const PREFIX_OF_KIND: Readonly<Record<SubjectKind, string>> = {
  shipment: 'shp',
  load: 'load',
  warehouse: 'wh',
  customer: 'cust',
};

/** What the detector knows, per subject kind, keyed by the subject's id. */
export class DetectorState {
  readonly shipment = new Map<string, ShipmentFacts>();
  readonly load = new Map<string, LoadFacts>();
  readonly warehouse = new Map<string, WarehouseFacts>();
  readonly customer = new Map<string, CustomerFacts>();

  map<K extends SubjectKind>(kind: K): Map<string, Subjects[K]> {
    return this[kind] as unknown as Map<string, Subjects[K]>;
  }

  getOrCreate<K extends SubjectKind>(kind: K, id: string, atMs: number): Subjects[K] {
    const m = this.map(kind);
    let f = m.get(id);
    if (!f) {
      f = { last: atMs } as Subjects[K];
      m.set(id, f);
    }
    return f;
  }

  get size(): number {
    return this.shipment.size + this.load.size + this.warehouse.size + this.customer.size;
  }
}
