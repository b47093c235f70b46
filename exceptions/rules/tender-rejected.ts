import { confidence, DIRECT } from '../confidence.ts';
import { defineRule, type ExceptionDraft, NOTHING, type Verdict } from '../types.ts';

/**
 * tender_rejected: a tender response with `accepted: false`. One exception per load and carrier, on the
 * response itself; resolved when any carrier accepts the load afterwards (re-tendered and covered).
 */
const TYPE = 'tender_rejected';

export const tenderRejected = defineRule({
  type: TYPE,
  subject: 'load',
  triggers: ['tms.tender', 'tms.tender_response'],
  timeIndependent: true,
  evaluate(f, ctx): Verdict {
    const rejections = (f.responses ?? []).filter((r) => !r.accepted);
    if (rejections.length === 0) return NOTHING;
    const drafts: ExceptionDraft[] = [];
    const loadId = ctx.key; // the context is reused by the next evaluation; details are built later
    for (const carrier of [...new Set(rejections.map((r) => r.carrier))].sort()) {
      const mine = rejections.filter((r) => r.carrier === carrier);
      const first = mine[0];
      if (!first) continue;
      const accepted = (f.responses ?? []).filter((r) => r.accepted && r.at >= first.at);
      const tenders = (f.tenders ?? []).filter((t) => t.carrier === carrier && t.at <= first.at);
      const by = accepted[0];
      const shipments = [...new Set(tenders.flatMap((t) => t.shipments))].sort();
      drafts.push({
        type: TYPE,
        idParts: [ctx.key, carrier],
        occurredAtMs: first.at,
        severity: shipments.length > 5 ? 'high' : 'medium',
        confidence: confidence(DIRECT),
        evidence: [...tenders.map((t) => t.e), ...mine.map((r) => r.e), ...accepted.map((r) => r.e)],
        details: () => ({
          loadId,
          carrierId: carrier,
          rejections: mine.length,
          reasons: [...new Set(mine.flatMap((r) => (r.reason ? [r.reason] : [])))].sort(),
          shipmentIds: shipments,
        }),
        ...(shipments.length === 1 && shipments[0] ? { shipmentId: shipments[0] } : {}),
        ...(by ? { resolved: { atMs: by.at, reason: `load accepted by ${by.carrier}` } } : {}),
      });
    }
    return { drafts };
  },
});
