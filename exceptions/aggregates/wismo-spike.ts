import { type Policy, threshold } from '../../core/mod.ts';
import { confidence, DIRECT, margin, sampleSize } from '../confidence.ts';
import type { ExceptionDraft } from '../types.ts';
import type { MergedWindow } from './merged.ts';

/**
 * wismo_spike: a customer's WISMO contacts per 100 orders in a tumbling window
 * (`thresholds.wismo_spike.window_hours`, default 168) above `rate_per_100_max` (default: the policy's
 * telemetry KPI `wismo_per_100_orders.threshold_alert`, else 12; per tier), with at least `min_orders`
 * (default 20) orders in the window. Decided when every partition's watermark passed the window end.
 */
const TYPE = 'wismo_spike';
export const WISMO_RATE_DEFAULT = 12;
export const WISMO_MIN_ORDERS_DEFAULT = 20;

export function kpiRate(policy: Policy): number {
  const kpi = policy.telemetry?.kpis?.find((k) => k.name === 'wismo_per_100_orders');
  return kpi?.threshold_alert ?? WISMO_RATE_DEFAULT;
}

export function wismoSpike(w: MergedWindow, policy: Policy, published: boolean): ExceptionDraft | undefined {
  const orders = w.a;
  const contacts = w.b;
  const max = threshold(policy, TYPE, 'rate_per_100_max', kpiRate(policy), w.tier);
  const minOrders = threshold(policy, TYPE, 'min_orders', WISMO_MIN_ORDERS_DEFAULT, w.tier);
  const rate = orders > 0 ? (contacts / orders) * 100 : Number.POSITIVE_INFINITY;
  const breached = orders >= minOrders && rate > max;
  if (!breached && !published) return undefined;
  return {
    type: TYPE,
    idParts: [w.key, w.startMs],
    occurredAtMs: w.endMs,
    severity: rate > 2 * max ? 'high' : 'medium',
    confidence: confidence(DIRECT, sampleSize(orders), margin(rate - max, max)),
    evidence: w.sample,
    revision: w.revision,
    customerId: w.key,
    ...(w.tier ? { customerTier: w.tier } : {}),
    details: () => ({
      windowStart: new Date(w.startMs).toISOString(),
      windowEnd: new Date(w.endMs).toISOString(),
      orders,
      wismoContacts: contacts,
      ratePer100: Number.isFinite(rate) ? Math.round(rate * 100) / 100 : null,
      maxRatePer100: max,
    }),
    ...(breached ? {} : { resolved: { atMs: w.endMs, reason: 'condition cleared by late data' } }),
  };
}
