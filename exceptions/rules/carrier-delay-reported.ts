import { confidence, DIRECT } from '../confidence.ts';
import { effectiveCommitment, statusesOf } from '../facts.ts';
import { defineRule, NOTHING, type Verdict } from '../types.ts';
import { ids, iso, severityFor, shipmentFields } from './common.ts';

/**
 * carrier_delay_reported: the carrier sent a `delayed` or `exception` status. One exception per shipment
 * gathering every such report (an `exception` status is more severe); resolved by the delivery.
 */
const TYPE = 'carrier_delay_reported';

export const carrierDelayReported = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['tms.status', 'shipment.committed'],
  timeIndependent: true,
  evaluate(f, ctx): Verdict {
    const reports = statusesOf(f, (s) => s.s === 'delayed' || s.s === 'exception');
    const first = reports[0];
    if (!first) return NOTHING;
    const c = effectiveCommitment(f);
    const delivered = statusesOf(f, (s) => s.s === 'delivered' && s.at >= first.at);
    const codes = [...new Set(reports.flatMap((r) => (r.code ? [r.code] : [])))].sort();
    const etas = reports.flatMap((r) => (r.eta !== undefined ? [r.eta] : []));
    const hard = reports.some((r) => r.s === 'exception');
    return {
      drafts: [
        {
          type: TYPE,
          idParts: [ctx.key],
          occurredAtMs: first.at,
          severity: severityFor(hard ? 'high' : 'medium', c?.tier),
          confidence: confidence(DIRECT),
          evidence: [...(c ? [c.e] : []), ...ids(reports), ...ids(delivered)],
          ...shipmentFields(ctx.key, c),
          details: () => ({
            reports: reports.length,
            statuses: [...new Set(reports.map((r) => r.s))].sort(),
            codes,
            ...(etas.length ? { latestEta: iso(Math.max(...etas)) } : {}),
          }),
          ...(delivered[0] ? { resolved: { atMs: delivered[0].at, reason: 'delivered' } } : {}),
        },
      ],
    };
  },
});
