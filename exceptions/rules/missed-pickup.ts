import { threshold } from '../../core/mod.ts';
import { ABSENCE, confidence, FEED_SEEN, FEED_UNSEEN } from '../confidence.ts';
import { anyAtOrBefore, effectiveCommitment, PICKUP_CLASS, statusesOf } from '../facts.ts';
import { defineRule, NOTHING, type Verdict } from '../types.ts';
import { ids, iso, MINUTE, round1, severityFor, shipmentFields } from './common.ts';

/**
 * missed_pickup: the shipment was ship-scanned (handed to the dock) by the pickup deadline
 * (promisedShipBy + `thresholds.missed_pickup.pickup_window_minutes`, default 120), but no carrier status
 * showing it moved (picked_up, departed, arrived, out_for_delivery, delivered) came by then.
 * Only for commitments that name a carrier (only then is a carrier feed expected); a shipment not even
 * scanned is late_scan's business, not the carrier's. A later pickup status resolves it.
 */
const TYPE = 'missed_pickup';
export const MISSED_PICKUP_WINDOW_DEFAULT = 120;

export const missedPickup = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['shipment.committed', 'wms.ship_scan', 'shipment.cancelled', 'tms.status'],
  evaluate(f, ctx): Verdict {
    const c = effectiveCommitment(f);
    if (!c?.carrier) return NOTHING;
    const minutes = threshold(
      ctx.policy,
      TYPE,
      'pickup_window_minutes',
      MISSED_PICKUP_WINDOW_DEFAULT,
      c.tier,
    );
    const deadline = c.shipBy + minutes * MINUTE;
    if (ctx.watermarkMs < deadline) return { drafts: [], wakeAt: deadline };
    const scan = f.scans?.[0];
    if (!scan || scan.at > deadline || anyAtOrBefore(f.cancels, deadline)) return NOTHING;
    const pickups = statusesOf(f, (s) => PICKUP_CLASS.has(s.s));
    const inTime = pickups[0] !== undefined && pickups[0].at <= deadline;
    if (inTime && !ctx.published(TYPE, ctx.key, deadline)) return NOTHING;
    const by = pickups[0];
    const anyStatus = (f.statuses?.[0]?.at ?? Number.POSITIVE_INFINITY) <= deadline;
    return {
      drafts: [
        {
          type: TYPE,
          idParts: [ctx.key, deadline],
          occurredAtMs: deadline,
          severity: severityFor('medium', c.tier),
          confidence: confidence(ABSENCE, anyStatus ? FEED_SEEN : FEED_UNSEEN),
          evidence: [c.e, scan.e, ...ids(pickups)],
          ...shipmentFields(ctx.key, c),
          details: () => ({
            carrierId: c.carrier,
            scannedAt: iso(scan.at),
            pickupDeadline: iso(deadline),
            ...(by ? { pickedUpAt: iso(by.at), minutesLate: round1((by.at - deadline) / MINUTE) } : {}),
          }),
          ...(by
            ? {
                resolved: {
                  atMs: by.at,
                  reason: inTime ? 'retracted: pickup reported late' : `picked up late (${by.s})`,
                },
              }
            : {}),
        },
      ],
    };
  },
});
