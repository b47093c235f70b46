import { threshold } from '../../core/mod.ts';
import { confidence, DIRECT, margin } from '../confidence.ts';
import { effectiveCommitment } from '../facts.ts';
import { defineRule, type ExceptionDraft, NOTHING } from '../types.ts';
import { severityFor, shipmentFields } from './common.ts';

/**
 * short_pick: a wms.pick with qtyOrdered − qtyPicked ≥ `thresholds.short_pick.min_short_units` (default 1).
 * Direct evidence: it fires on the pick itself, in milliseconds. If the pick arrives before the shipment's
 * commitment, the exception is enriched (customer, tier, lane) when the commitment arrives.
 */
const TYPE = 'short_pick';
export const SHORT_PICK_MIN_UNITS_DEFAULT = 1;

export const shortPick = defineRule({
  type: TYPE,
  subject: 'shipment',
  triggers: ['wms.pick', 'shipment.committed'],
  timeIndependent: true,
  evaluate(f, ctx) {
    if (!f.shorts) return NOTHING;
    const c = effectiveCommitment(f);
    const min = threshold(ctx.policy, TYPE, 'min_short_units', SHORT_PICK_MIN_UNITS_DEFAULT, c?.tier);
    const drafts: ExceptionDraft[] = [];
    for (const s of f.shorts) {
      const shortBy = s.ordered - s.picked;
      if (shortBy < min) continue;
      const fill = s.ordered === 0 ? 1 : s.picked / s.ordered;
      drafts.push({
        type: TYPE,
        idParts: [ctx.key, s.sku, s.e],
        occurredAtMs: s.at,
        severity: severityFor(fill < 0.5 ? 'high' : 'medium', c?.tier),
        confidence: confidence(DIRECT, margin(shortBy - min + 1, Math.max(1, s.ordered * 0.1))),
        evidence: c ? [c.e, s.e] : [s.e],
        ...shipmentFields(ctx.key, c),
        warehouseId: s.wh,
        sku: s.sku,
        details: () => ({
          qtyOrdered: s.ordered,
          qtyPicked: s.picked,
          shortBy,
          fillRate: Math.round(fill * 1000) / 1000,
        }),
      });
    }
    return { drafts };
  },
});
