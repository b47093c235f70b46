import { threshold } from '../../core/mod.ts';
import { ABSENCE, confidence, FEED_SEEN, FEED_UNSEEN } from '../confidence.ts';
import {
  anyAtOrBefore,
  type Commitment,
  effectiveCommitment,
  firstAfter,
  type ShipmentFacts,
} from '../facts.ts';
import { defineRule, type EvalContext, type ExceptionDraft, NOTHING, type Verdict } from '../types.ts';
import { earliest, ids, iso, MINUTE, round1, severityFor, shipmentFields } from './common.ts';

/**
 * late_scan: no wms.ship_scan by promisedShipBy + `thresholds.late_scan.minutes_past_sla` (default 60,
 * per tier). An absence: it exists once the watermark passes the deadline. A scan (or cancellation) after
 * the deadline resolves it ("scan arrived late"); one that happened before the deadline but arrived after
 * the exception fired (a late event) retracts it.
 */
const TYPE = 'late_scan';
export const LATE_SCAN_MINUTES_DEFAULT = 60;

export function lateScanDeadline(c: Commitment, ctx: Pick<EvalContext, 'policy'>): number {
  const minutes = threshold(ctx.policy, TYPE, 'minutes_past_sla', LATE_SCAN_MINUTES_DEFAULT, c.tier);
  return c.shipBy + minutes * MINUTE;
}

export const lateScan = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['shipment.committed', 'wms.ship_scan', 'shipment.cancelled', 'wms.pick', 'wms.pack'],
  evaluate(f, ctx): Verdict {
    const c = effectiveCommitment(f);
    if (!c) return NOTHING;
    const drafts: ExceptionDraft[] = revisedCommitments(f, c, ctx);
    const deadline = lateScanDeadline(c, ctx);
    const scannedInTime = anyAtOrBefore(f.scans, deadline);
    const cancelledInTime = anyAtOrBefore(f.cancels, deadline);
    if (scannedInTime || cancelledInTime) {
      if (ctx.watermarkMs >= deadline && ctx.published(TYPE, ctx.key, deadline)) {
        const by = scannedInTime ? f.scans?.[0] : f.cancels?.[0];
        const reason = scannedInTime
          ? 'retracted: the scan happened before the deadline but was reported late'
          : 'retracted: the shipment was cancelled before the deadline (reported late)';
        drafts.push(draft(ctx.key, f, c, deadline, { atMs: by?.at ?? deadline, reason }));
      }
      return { drafts };
    }
    if (ctx.watermarkMs < deadline) return { drafts, wakeAt: deadline };
    const by = earliest(firstAfter(f.scans, deadline), firstAfter(f.cancels, deadline));
    const resolved = by
      ? {
          atMs: by.at,
          reason: f.scans?.some((s) => s.e === by.e) ? 'scan arrived late' : 'shipment cancelled',
        }
      : undefined;
    drafts.push(draft(ctx.key, f, c, deadline, resolved));
    return { drafts };
  },
});

/** A re-promise moves the deadline (a new id); an exception already published for an older promise is closed. */
function revisedCommitments(f: ShipmentFacts, current: Commitment, ctx: EvalContext): ExceptionDraft[] {
  const out: ExceptionDraft[] = [];
  for (const old of f.commits ?? []) {
    if (old === current) continue;
    const d = lateScanDeadline(old, ctx);
    if (d === lateScanDeadline(current, ctx) || !ctx.published(TYPE, ctx.key, d)) continue;
    const base = draft(ctx.key, { ...f, scans: undefined, cancels: undefined }, old, d, {
      atMs: current.at,
      reason: 'commitment revised',
    });
    out.push({ ...base, evidence: [old.e, current.e] });
  }
  return out;
}

function draft(
  shipmentId: string,
  f: ShipmentFacts,
  c: Commitment,
  deadline: number,
  resolved?: { atMs: number; reason: string },
): ExceptionDraft {
  const wmsSeen = f.wms !== undefined && f.wms <= deadline;
  const scan = firstAfter(f.scans, deadline);
  return {
    type: TYPE,
    idParts: [shipmentId, deadline],
    occurredAtMs: deadline,
    severity: severityFor('medium', c.tier),
    confidence: confidence(ABSENCE, wmsSeen ? FEED_SEEN : FEED_UNSEEN),
    evidence: [c.e, ...ids(f.scans), ...ids(f.cancels)],
    ...shipmentFields(shipmentId, c),
    details: () => ({
      promisedShipBy: iso(c.shipBy),
      deadline: iso(deadline),
      wmsActivitySeen: wmsSeen,
      ...(scan ? { scannedAt: iso(scan.at), minutesLate: round1((scan.at - deadline) / MINUTE) } : {}),
    }),
    ...(resolved ? { resolved } : {}),
  };
}
