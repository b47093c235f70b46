import { threshold } from '../../core/mod.ts';
import { ABSENCE, confidence, FEED_SEEN } from '../confidence.ts';
import { anyAtOrBefore, effectiveCommitment, firstAfter, statusesOf } from '../facts.ts';
import { defineRule, NOTHING, type Verdict } from '../types.ts';
import { HOUR, ids, iso, round1, severityFor, shipmentFields } from './common.ts';

/**
 * missing_pod: delivered, but no tms.pod within `thresholds.missing_pod.pod_window_hours` (default 24) of the
 * first delivered status. An absence fired by the watermark; a later POD resolves it. The carrier feed
 * reported the delivery, so its silence on the POD is meaningful (feed coverage 1).
 */
const TYPE = 'missing_pod';
export const MISSING_POD_HOURS_DEFAULT = 24;

export const missingPod = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['tms.status', 'tms.pod', 'shipment.committed'],
  evaluate(f, ctx): Verdict {
    const delivered = statusesOf(f, (s) => s.s === 'delivered')[0];
    if (!delivered) return NOTHING;
    const c = effectiveCommitment(f);
    const hours = threshold(ctx.policy, TYPE, 'pod_window_hours', MISSING_POD_HOURS_DEFAULT, c?.tier);
    const deadline = delivered.at + hours * HOUR;
    if (ctx.watermarkMs < deadline) return { drafts: [], wakeAt: deadline };
    const inTime = anyAtOrBefore(f.pods, deadline);
    if (inTime && !ctx.published(TYPE, ctx.key, delivered.e)) return NOTHING;
    const by = inTime ? f.pods?.[0] : firstAfter(f.pods, deadline);
    return {
      drafts: [
        {
          type: TYPE,
          idParts: [ctx.key, delivered.e],
          occurredAtMs: deadline,
          severity: severityFor('low', c?.tier),
          confidence: confidence(ABSENCE, FEED_SEEN),
          evidence: [...(c ? [c.e] : []), delivered.e, ...ids(f.pods)],
          ...shipmentFields(ctx.key, c),
          details: () => ({
            deliveredAt: iso(delivered.at),
            podDeadline: iso(deadline),
            ...(by && !inTime ? { podAt: iso(by.at), hoursLate: round1((by.at - deadline) / HOUR) } : {}),
          }),
          ...(by
            ? {
                resolved: {
                  atMs: by.at,
                  reason: inTime ? 'retracted: POD reported late' : 'POD arrived late',
                },
              }
            : {}),
        },
      ],
    };
  },
});
