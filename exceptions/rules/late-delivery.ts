import { threshold } from '../../core/mod.ts';
import { confidence, DIRECT, margin } from '../confidence.ts';
import { effectiveCommitment, statusesOf } from '../facts.ts';
import { defineRule, NOTHING, type Verdict } from '../types.ts';
import { HOUR, ids, iso, MINUTE, round1, severityByExcess, severityFor, shipmentFields } from './common.ts';

/**
 * late_delivery: the first `delivered` status is after promisedDeliverBy + `thresholds.late_delivery.grace_minutes`
 * (default 0). Decided once the watermark passes the delivery time, so an earlier delivered status still
 * in flight (within the allowed lateness) is taken into account: the outcome does not depend on arrival order.
 */
const TYPE = 'late_delivery';
export const LATE_DELIVERY_GRACE_DEFAULT = 0;

export const lateDelivery = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['shipment.committed', 'tms.status'],
  evaluate(f, ctx): Verdict {
    const c = effectiveCommitment(f);
    if (c?.deliverBy === undefined) return NOTHING;
    const delivered = statusesOf(f, (s) => s.s === 'delivered');
    const first = delivered[0];
    if (!first) return NOTHING;
    if (ctx.watermarkMs < first.at) return { drafts: [], wakeAt: first.at };
    const grace = threshold(ctx.policy, TYPE, 'grace_minutes', LATE_DELIVERY_GRACE_DEFAULT, c.tier);
    const deliverBy = c.deliverBy;
    const deadline = deliverBy + grace * MINUTE;
    const late = first.at - deadline;
    if (late <= 0 && !ctx.published(TYPE, ctx.key, c.deliverBy)) return NOTHING;
    return {
      drafts: [
        {
          type: TYPE,
          idParts: [ctx.key, c.deliverBy],
          occurredAtMs: deadline,
          severity: severityFor(severityByExcess(late, 24 * HOUR), c.tier),
          confidence: confidence(DIRECT, margin(late, 24 * HOUR)),
          evidence: [c.e, ...ids(delivered)],
          ...shipmentFields(ctx.key, c),
          details: () => ({
            promisedDeliverBy: iso(deliverBy),
            deliveredAt: iso(first.at),
            hoursLate: round1(late / HOUR),
          }),
          ...(late <= 0
            ? {
                resolved: {
                  atMs: first.at,
                  reason: 'retracted: an on-time delivery status was reported late',
                },
              }
            : {}),
        },
      ],
    };
  },
});
