import type { Rule } from '../types.ts';

/** short_pick: a wms.pick with qtyPicked < qtyOrdered. Direct evidence, so it fires on the event itself. */
const TYPE = 'short_pick';

export const shortPick: Rule = {
  type: TYPE,
  onEvent(event, ctx) {
    if (event.type !== 'wms.pick' || event.qtyPicked >= event.qtyOrdered) return;
    const c = ctx.state.shipments.get(event.shipmentId)?.committed;
    const fillRate = event.qtyOrdered === 0 ? 1 : event.qtyPicked / event.qtyOrdered;
    ctx.emit({
      type: TYPE,
      idParts: [event.shipmentId, event.sku, event.id],
      occurredAtMs: Date.parse(event.occurredAt),
      severity: fillRate < 0.5 ? 'high' : 'medium',
      confidence: 0.95,
      evidence: [event.id],
      shipmentId: event.shipmentId,
      warehouseId: event.warehouseId,
      sku: event.sku,
      ...(c ? { customerId: c.customerId, customerTier: c.customerTier, lane: c.lane } : {}),
      details: {
        qtyOrdered: event.qtyOrdered,
        qtyPicked: event.qtyPicked,
        shortBy: event.qtyOrdered - event.qtyPicked,
      },
    });
  },
};
