import { exceptionId, threshold } from '../../core/mod.ts';
import type { ShipmentState } from '../state.ts';
import type { Timer } from '../timers.ts';
import type { CustomerTier, Rule, RuleContext, Severity } from '../types.ts';

/**
 * late_scan: no wms.ship_scan by promisedShipBy + thresholds.late_scan.minutes_past_sla (default 60,
 * per tier where the policy says so). An absence: it fires when the watermark passes the deadline.
 * A scan after the exception resolves it as "scan arrived late".
 */
const TYPE = 'late_scan';
export const LATE_SCAN_DEFAULT_MINUTES = 60;

const severityByTier: Record<CustomerTier, Severity> = { tier1: 'high', tier2: 'medium', tier3: 'low' };

interface LateScanTimer {
  shipmentId: string;
}

export const lateScan: Rule = {
  type: TYPE,
  onEvent(event, ctx) {
    switch (event.type) {
      case 'shipment.committed': {
        const ship = ctx.state.shipment(event.shipmentId);
        const deadline = deadlineOf(ship, ctx);
        if (deadline === undefined || ship.cancelled) return;
        if (!ship.shipScan) {
          ctx.schedule({
            key: timerKey(event.shipmentId),
            dueMs: deadline,
            rule: TYPE,
            data: { shipmentId: event.shipmentId },
          });
        } else if (ship.shipScan.atMs > deadline) {
          // The scan reached us before the commitment, but happened after the deadline: the promise still broke.
          ctx.emit(draft(event.shipmentId, ship, deadline));
          ctx.resolve(
            idOf(event.shipmentId, deadline),
            'scan arrived late',
            ship.shipScan.atMs,
            ship.shipScan.eventId,
          );
        }
        return;
      }
      case 'wms.ship_scan':
      case 'shipment.cancelled': {
        ctx.cancel(timerKey(event.shipmentId));
        const ship = ctx.state.shipment(event.shipmentId);
        const deadline = deadlineOf(ship, ctx);
        if (deadline === undefined) return;
        const reason = event.type === 'wms.ship_scan' ? 'scan arrived late' : 'shipment cancelled';
        ctx.resolve(idOf(event.shipmentId, deadline), reason, Date.parse(event.occurredAt), event.id);
        return;
      }
      default:
        return;
    }
  },
  onTimer(timer: Timer, ctx: RuleContext) {
    const { shipmentId } = timer.data as LateScanTimer;
    const ship = ctx.state.shipments.get(shipmentId);
    if (!ship?.committed || ship.shipScan || ship.cancelled) return;
    ctx.emit(draft(shipmentId, ship, timer.dueMs));
  },
};

function deadlineOf(ship: ShipmentState, ctx: RuleContext): number | undefined {
  const c = ship.committed;
  if (!c) return undefined;
  const minutes = threshold(ctx.policy, TYPE, 'minutes_past_sla', LATE_SCAN_DEFAULT_MINUTES, c.customerTier);
  return c.promisedShipByMs + minutes * 60_000;
}

const timerKey = (shipmentId: string) => `${TYPE}:${shipmentId}`;
const idOf = (shipmentId: string, deadline: number) => exceptionId(TYPE, shipmentId, deadline);

function draft(shipmentId: string, ship: ShipmentState, deadline: number) {
  const c = ship.committed;
  if (!c) throw new Error('late_scan draft without a commitment');
  return {
    type: TYPE,
    idParts: [shipmentId, deadline],
    occurredAtMs: deadline,
    severity: severityByTier[c.customerTier],
    // Absence evidence: the commitment is certain, the missing scan may be a feed gap (see docs/exceptions.md).
    confidence: 0.9,
    evidence: [c.eventId],
    shipmentId,
    warehouseId: c.warehouseId,
    customerId: c.customerId,
    customerTier: c.customerTier,
    lane: c.lane,
    details: {
      promisedShipBy: new Date(c.promisedShipByMs).toISOString(),
      deadline: new Date(deadline).toISOString(),
    },
  };
}
