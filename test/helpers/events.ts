let n = 0;
const uid = () => `${Date.now().toString(36)}-${process.pid}-${++n}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** Canonical v1 events for tests, with unique ids unless given. */
export const ev = {
  committed: (
    o: {
      shipmentId?: string;
      at?: number;
      shipBy?: number;
      deliverBy?: number;
      tier?: string;
      id?: string;
    } = {},
  ) => ({
    id: o.id ?? `commit-${uid()}`,
    type: 'shipment.committed',
    occurredAt: iso(o.at ?? Date.now()),
    shipmentId: o.shipmentId ?? `SHP-${uid()}`,
    customerId: 'CUST-001',
    customerTier: o.tier ?? 'tier1',
    warehouseId: 'WH-ATL1',
    lane: 'ATL>NYC',
    promisedShipBy: iso(o.shipBy ?? Date.now() + 3_600_000),
    ...(o.deliverBy !== undefined ? { promisedDeliverBy: iso(o.deliverBy) } : {}),
  }),
  pick: (o: { shipmentId?: string; ordered?: number; picked?: number; at?: number; id?: string } = {}) => ({
    id: o.id ?? `pick-${uid()}`,
    type: 'wms.pick',
    occurredAt: iso(o.at ?? Date.now()),
    shipmentId: o.shipmentId ?? `SHP-${uid()}`,
    warehouseId: 'WH-ATL1',
    sku: 'SKU-1',
    qtyOrdered: o.ordered ?? 10,
    qtyPicked: o.picked ?? 7,
  }),
  shipScan: (o: { shipmentId: string; at?: number; id?: string }) => ({
    id: o.id ?? `scan-${uid()}`,
    type: 'wms.ship_scan',
    occurredAt: iso(o.at ?? Date.now()),
    shipmentId: o.shipmentId,
    warehouseId: 'WH-ATL1',
  }),
};
