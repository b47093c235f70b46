import { threshold } from '../../core/mod.ts';
import { confidence, DIRECT, margin } from '../confidence.ts';
import { timeMs } from '../time.ts';
import { defineRule, NOTHING, type Verdict } from '../types.ts';

/**
 * inventory_mismatch: a cycle count with |countedQty − systemQty| ≥ `thresholds.inventory_mismatch.variance_units_min`
 * (default 5). One exception per count; a person resolves it (the fix is a stock adjustment, not an event).
 */
const TYPE = 'inventory_mismatch';
export const VARIANCE_UNITS_DEFAULT = 5;

export const inventoryMismatch = defineRule({
  type: TYPE,
  subject: 'warehouse',
  triggers: ['wms.cycle_count'],
  timeIndependent: true,
  evaluate(_f, ctx): Verdict {
    const e = ctx.event;
    if (e?.type !== 'wms.cycle_count') return NOTHING;
    const min = threshold(ctx.policy, TYPE, 'variance_units_min', VARIANCE_UNITS_DEFAULT);
    const variance = e.countedQty - e.systemQty;
    if (Math.abs(variance) < min) return NOTHING;
    const relative = e.systemQty > 0 ? Math.abs(variance) / e.systemQty : 1;
    return {
      drafts: [
        {
          type: TYPE,
          idParts: [ctx.key, e.sku, e.location ?? '', e.id],
          occurredAtMs: timeMs(e.occurredAt),
          severity: relative >= 0.5 ? 'high' : relative >= 0.1 ? 'medium' : 'low',
          confidence: confidence(DIRECT, margin(Math.abs(variance) - min + 1, min)),
          evidence: [e.id],
          warehouseId: ctx.key,
          sku: e.sku,
          details: () => ({
            countedQty: e.countedQty,
            systemQty: e.systemQty,
            variance,
            ...(e.location ? { location: e.location } : {}),
          }),
        },
      ],
    };
  },
});
