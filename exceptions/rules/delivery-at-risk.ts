import { threshold } from '../../core/mod.ts';
import { confidence, margin } from '../confidence.ts';
import { effectiveCommitment, firstAfter, type Status, statusesOf } from '../facts.ts';
import { defineRule, NOTHING, type Verdict } from '../types.ts';
import {
  earliest,
  HOUR,
  ids,
  iso,
  MINUTE,
  round1,
  severityByExcess,
  severityFor,
  shipmentFields,
} from './common.ts';

/**
 * delivery_at_risk: a carrier status before delivery carries an `eta` later than promisedDeliverBy +
 * `thresholds.delivery_at_risk.eta_margin_minutes` (default 0). Fires on the status itself (milliseconds);
 * resolved by the delivery or a cancellation. An ETA is a forecast, so confidence starts lower than a fact.
 */
const TYPE = 'delivery_at_risk';
export const DELIVERY_AT_RISK_MARGIN_DEFAULT = 0;
const FORECAST = 0.9;

export const deliveryAtRisk = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['shipment.committed', 'tms.status', 'shipment.cancelled'],
  timeIndependent: true,
  evaluate(f, ctx): Verdict {
    const c = effectiveCommitment(f);
    if (c?.deliverBy === undefined) return NOTHING;
    const marginMin = threshold(
      ctx.policy,
      TYPE,
      'eta_margin_minutes',
      DELIVERY_AT_RISK_MARGIN_DEFAULT,
      c.tier,
    );
    const limit = c.deliverBy + marginMin * MINUTE;
    const delivered = statusesOf(f, (s) => s.s === 'delivered');
    const deliveredAt = delivered[0]?.at ?? Number.POSITIVE_INFINITY;
    const breaches = statusesOf(f, (s) => s.eta !== undefined && s.eta > limit && s.at < deliveredAt);
    const first = breaches[0];
    if (!first) {
      if (!ctx.published(TYPE, ctx.key, c.deliverBy) || !delivered[0]) return NOTHING;
      // Every breaching ETA turned out to come after the delivery (reported late): retract.
      const all = statusesOf(f, (s) => s.eta !== undefined && s.eta > limit);
      const base = all[0];
      if (!base) return NOTHING;
      return {
        drafts: [
          draft(ctx.key, c, all, delivered, base, {
            atMs: deliveredAt,
            reason: 'retracted: delivered before the ETA report',
          }),
        ],
      };
    }
    const by = earliest(delivered[0], firstAfter(f.cancels, first.at));
    const resolved = by
      ? { atMs: by.at, reason: by === delivered[0] ? 'delivered' : 'shipment cancelled' }
      : undefined;
    return {
      drafts: [
        draft(
          ctx.key,
          c,
          breaches,
          delivered,
          first,
          resolved,
          f.cancels?.map((x) => x.e),
        ),
      ],
    };
  },
});

function draft(
  shipmentId: string,
  c: NonNullable<ReturnType<typeof effectiveCommitment>>,
  breaches: Status[],
  delivered: Status[],
  first: Status,
  resolved?: { atMs: number; reason: string },
  cancels: string[] = [],
) {
  const worstEta = Math.max(...breaches.map((s) => s.eta ?? 0));
  const deliverBy = c.deliverBy ?? 0;
  const over = worstEta - deliverBy;
  return {
    type: TYPE,
    idParts: [shipmentId, deliverBy],
    occurredAtMs: first.at,
    severity: severityFor(severityByExcess(over, 24 * HOUR), c.tier),
    confidence: confidence(FORECAST, margin(over, 24 * HOUR)),
    evidence: [c.e, ...ids(breaches), ...ids(delivered), ...cancels],
    ...shipmentFields(shipmentId, c),
    details: () => ({
      promisedDeliverBy: iso(deliverBy),
      latestEta: iso(worstEta),
      etaOverByHours: round1(over / HOUR),
      reports: breaches.length,
    }),
    ...(resolved ? { resolved } : {}),
  };
}
