import type { CustomerTier } from './types.ts';

/** What the detector knows of one shipment, assembled from its events in any order. */
export interface ShipmentState {
  committed?: {
    eventId: string;
    customerId: string;
    customerTier: CustomerTier;
    warehouseId: string;
    lane: string;
    promisedShipByMs: number;
    promisedDeliverByMs?: number;
    carrierId?: string;
  };
  shipScan?: { eventId: string; atMs: number };
  cancelled?: { eventId: string; atMs: number };
}

export class DetectorState {
  readonly shipments = new Map<string, ShipmentState>();

  shipment(id: string): ShipmentState {
    let s = this.shipments.get(id);
    if (!s) {
      s = {};
      this.shipments.set(id, s);
    }
    return s;
  }
}
