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

/** Subject kinds in a fixed order: timers name a subject by (index of its kind, id). */
export const SUBJECT_KINDS = ['shipment', 'load', 'warehouse', 'customer'] as const;
export const KIND_INDEX: Readonly<Record<SubjectKind, number>> = {
  shipment: 0,
  load: 1,
  warehouse: 2,
  customer: 3,
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
      // A shipment almost always gets its commitment next: a slot for it from the start saves an
      // out-of-object property store per shipment (JSON and the schemas ignore an undefined field).
      f = (kind === 'shipment' ? { last: atMs, commits: undefined } : { last: atMs }) as Subjects[K];
      m.set(id, f);
    }
    return f;
  }

  get size(): number {
    return this.shipment.size + this.load.size + this.warehouse.size + this.customer.size;
  }
}
