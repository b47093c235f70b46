import { threshold } from '../../core/mod.ts';
import { ABSENCE, confidence, FEED_SEEN } from '../confidence.ts';
import { defineRule, type ExceptionDraft, type Verdict } from '../types.ts';
import { iso, MINUTE, round1 } from './common.ts';

/**
 * tender_unanswered: no response from the tendered carrier within
 * `thresholds.tender_unanswered.response_window_minutes` (default 120) of the tender. One per tender;
 * fired by the watermark; a later response from that carrier resolves it.
 */
const TYPE = 'tender_unanswered';
export const TENDER_WINDOW_DEFAULT = 120;

export const tenderUnanswered = defineRule({
  type: TYPE,
  subject: 'load',
  triggers: ['tms.tender', 'tms.tender_response'],
  evaluate(f, ctx): Verdict {
    const window = threshold(ctx.policy, TYPE, 'response_window_minutes', TENDER_WINDOW_DEFAULT) * MINUTE;
    const drafts: ExceptionDraft[] = [];
    const loadId = ctx.key; // the context is reused by the next evaluation; details are built later
    let wakeAt: number | undefined;
    for (const t of f.tenders ?? []) {
      const deadline = t.at + window;
      if (ctx.watermarkMs < deadline) {
        wakeAt = wakeAt === undefined ? deadline : Math.min(wakeAt, deadline);
        continue;
      }
      const answers = (f.responses ?? []).filter((r) => r.carrier === t.carrier && r.at >= t.at);
      const inTime = answers[0] !== undefined && answers[0].at <= deadline;
      if (inTime && !ctx.published(TYPE, ctx.key, t.e)) continue;
      const by = answers[0];
      drafts.push({
        type: TYPE,
        idParts: [ctx.key, t.e],
        occurredAtMs: deadline,
        severity: t.shipments.length > 5 ? 'high' : 'medium',
        confidence: confidence(ABSENCE, FEED_SEEN),
        evidence: [t.e, ...answers.map((r) => r.e)],
        ...(t.shipments.length === 1 && t.shipments[0] ? { shipmentId: t.shipments[0] } : {}),
        details: () => ({
          loadId,
          carrierId: t.carrier,
          tenderedAt: iso(t.at),
          answerBy: iso(deadline),
          shipmentIds: [...t.shipments].sort(),
          ...(by ? { answeredAt: iso(by.at), minutesLate: round1((by.at - deadline) / MINUTE) } : {}),
        }),
        ...(by
          ? {
              resolved: { atMs: by.at, reason: inTime ? 'retracted: answer reported late' : 'answered late' },
            }
          : {}),
      });
    }
    return wakeAt === undefined ? { drafts } : { drafts, wakeAt };
  },
});
