import { threshold } from '../../core/mod.ts';
import { ABSENCE, confidence, FEED_SEEN } from '../confidence.ts';
import { DEPARTURE_CLASS, effectiveCommitment, statusesOf } from '../facts.ts';
import { defineRule, type ExceptionDraft, type Verdict } from '../types.ts';
import { ids, iso, MINUTE, round1, severityFor, shipmentFields } from './common.ts';

/**
 * excessive_dwell: an `arrived` status with no departure (departed, out_for_delivery, delivered) within
 * `thresholds.excessive_dwell.max_dwell_minutes` (default 240). One exception per arrival; fired by the
 * watermark at arrival + limit; the departure resolves it.
 */
const TYPE = 'excessive_dwell';
export const EXCESSIVE_DWELL_MINUTES_DEFAULT = 240;

export const excessiveDwell = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['tms.status', 'shipment.committed'],
  evaluate(f, ctx): Verdict {
    const arrivals = statusesOf(f, (s) => s.s === 'arrived');
    if (arrivals.length === 0) return { drafts: [] };
    const c = effectiveCommitment(f);
    const limit =
      threshold(ctx.policy, TYPE, 'max_dwell_minutes', EXCESSIVE_DWELL_MINUTES_DEFAULT, c?.tier) * MINUTE;
    const departures = statusesOf(f, (s) => DEPARTURE_CLASS.has(s.s));
    const drafts: ExceptionDraft[] = [];
    let wakeAt: number | undefined;
    for (const a of arrivals) {
      const deadline = a.at + limit;
      if (ctx.watermarkMs < deadline) {
        wakeAt = wakeAt === undefined ? deadline : Math.min(wakeAt, deadline);
        continue;
      }
      const after = departures.filter((d) => d.at >= a.at);
      const inTime = after[0] !== undefined && after[0].at <= deadline;
      if (inTime && !ctx.published(TYPE, ctx.key, a.e)) continue;
      const by = after[0];
      drafts.push({
        type: TYPE,
        idParts: [ctx.key, a.e],
        occurredAtMs: deadline,
        severity: severityFor('medium', c?.tier),
        confidence: confidence(ABSENCE, FEED_SEEN),
        evidence: [...(c ? [c.e] : []), a.e, ...ids(after)],
        ...shipmentFields(ctx.key, c),
        details: () => ({
          arrivedAt: iso(a.at),
          ...(a.code ? { code: a.code } : {}),
          maxDwellMinutes: limit / MINUTE,
          ...(by ? { departedAt: iso(by.at), dwellMinutes: round1((by.at - a.at) / MINUTE) } : {}),
        }),
        ...(by
          ? {
              resolved: {
                atMs: by.at,
                reason: inTime ? 'retracted: departure reported late' : 'departed after dwell',
              },
            }
          : {}),
      });
    }
    return wakeAt === undefined ? { drafts } : { drafts, wakeAt };
  },
});
