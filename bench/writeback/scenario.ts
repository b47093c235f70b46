import type { DetectedException } from '../../core/mod.ts';
import { lifecycleVersion, seededRandom } from '../../core/mod.ts';

/** A customer as the bench's directory and contract CRM know it. */
export interface BenchCustomer {
  readonly customerId: string;
  readonly tier: 'tier1' | 'tier2' | 'tier3';
  readonly region: string;
}

/**
 * A day of exception states like the simulator's: half short picks (no write-back rule), half late scans
 * over the customers' tiers (tier1 → approval, task and draft; tier3 → direct write and task; tier2 → no
 * rule), 2 % inventory mismatches (Jira fallback), and a resolution for one exception in ten (withdrawals).
 * Each exception's evidence is one commitment event, returned so the bench can store it for drafts.
 */
export function exceptionStates(
  n: number,
  customers: readonly BenchCustomer[],
  seed: number,
  runId: string,
): {
  states: DetectedException[];
  evidence: { id: string; shipmentId: string; customerId: string; at: string }[];
} {
  const rand = seededRandom(seed);
  const states: DetectedException[] = [];
  const evidence: { id: string; shipmentId: string; customerId: string; at: string }[] = [];
  const t0 = Date.now() - 3_600_000;
  for (let i = 0; states.length < n; i++) {
    const c = customers[Math.floor(rand() * customers.length)] as BenchCustomer;
    const r = rand();
    const type = r < 0.5 ? 'short_pick' : r < 0.98 ? 'late_scan' : 'inventory_mismatch';
    const at = new Date(t0 + i * 50).toISOString();
    const shipmentId = `SHP-${runId}-${i}`;
    const commit = `commit-${runId}-${i}`;
    evidence.push({ id: commit, shipmentId, customerId: c.customerId, at });
    const base: DetectedException = {
      id: `${type}:${runId}-${i}`,
      type,
      status: 'open',
      severity: c.tier === 'tier1' ? 'high' : 'medium',
      confidence: type === 'late_scan' ? (rand() < 0.8 ? 0.92 : 0.81) : 0.98,
      detectedAt: at,
      occurredAt: at,
      evidence: [commit],
      details: type === 'inventory_mismatch' ? { countedQty: 40, systemQty: 52, variance: -12 } : {},
      version: lifecycleVersion('open'),
      ...(type === 'inventory_mismatch'
        ? { warehouseId: 'WH-CHI1', sku: `SKU-${i}` }
        : {
            shipmentId,
            customerId: c.customerId,
            customerTier: c.tier,
            warehouseId: 'WH-CHI1',
            lane: 'CHI>NYC',
          }),
    };
    states.push(base);
    if (states.length < n && rand() < 0.1) {
      states.push({
        ...base,
        status: 'resolved',
        resolution: 'scan arrived late',
        resolvedAt: at,
        version: lifecycleVersion('resolved', t0 + i * 50 + 1),
      });
    }
  }
  return { states, evidence };
}
