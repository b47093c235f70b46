import { threshold } from '../../core/mod.ts';
import { ABSENCE, confidence, FEED_SEEN, FEED_UNSEEN } from '../confidence.ts';
import { anyAtOrBefore, effectiveCommitment, firstAfter, statusesOf } from '../facts.ts';
import { defineRule, NOTHING, type Verdict } from '../types.ts';
import { HOUR, ids, iso, round1, severityFor, shipmentFields } from './common.ts';

/**
 * missing_pod: delivered, but no tms.pod within `thresholds.missing_pod.pod_window_hours` (default 24) of the
 * first delivered status. An absence fired by the watermark; a later POD resolves it. Only for deliveries
 * whose source sends PODs (declared in the feeds file, or learned: it sent one before the deadline; see
 * exceptions/feeds.ts): a feed without PODs would otherwise raise one for every delivery. Then its silence on
 * the POD is meaningful (feed coverage FEED_SEEN).
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
    const source = delivered.src ?? '';
    const feed = ctx.feed('pod', source, deadline);
    // What was published stays under this rule (a POD still resolves it), whatever the feed does now.
    // A declared no-POD feed is decided at once (no timer); a learned one once the answer is final (feeds.ts).
    if (feed === 'never' && !ctx.published(TYPE, ctx.key, delivered.e))
      return { drafts: [], suppressed: source };
    if (ctx.watermarkMs < deadline) return { drafts: [], wakeAt: deadline };
    const inTime = anyAtOrBefore(f.pods, deadline);
    if (inTime && !ctx.published(TYPE, ctx.key, delivered.e)) return NOTHING;
    const covered = feed === 'declared' || feed === 'learned';
    if (!covered && !ctx.published(TYPE, ctx.key, delivered.e)) return { drafts: [], suppressed: source };
    const by = inTime ? f.pods?.[0] : firstAfter(f.pods, deadline);
    return {
      drafts: [
        {
          type: TYPE,
          idParts: [ctx.key, delivered.e],
          occurredAtMs: deadline,
          severity: severityFor('low', c?.tier),
          confidence: confidence(ABSENCE, covered ? FEED_SEEN : FEED_UNSEEN),
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
