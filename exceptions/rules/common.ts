import { severities } from '../../core/mod.ts';
import type { Commitment, Ref } from '../facts.ts';
import type { CustomerTier, ExceptionDraft, Severity } from '../types.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export const iso = (ms: number) => new Date(ms).toISOString();
export const ids = (refs: readonly Ref[] | undefined) => (refs ? refs.map((r) => r.e) : []);
export const round1 = (n: number) => Math.round(n * 10) / 10;

/** The fields an exception about a shipment carries; the commitment enriches it once known. */
export function shipmentFields(
  shipmentId: string,
  c: Commitment | undefined,
): Pick<ExceptionDraft, 'shipmentId' | 'warehouseId' | 'customerId' | 'customerTier' | 'lane' | 'carrierId'> {
  if (!c) return { shipmentId };
  const fields = { shipmentId, warehouseId: c.wh, customerId: c.cust, customerTier: c.tier, lane: c.lane };
  // The carrier is part of the commitment (evidence), so it never changes content without new evidence.
  return c.carrier !== undefined ? { ...fields, carrierId: c.carrier } : fields;
}

/** Tier 1 customers get one step more severity, tier 3 one step less. */
export function severityFor(base: Severity, tier?: CustomerTier): Severity {
  const i = severities.indexOf(base);
  const shift = tier === 'tier1' ? 1 : tier === 'tier3' ? -1 : 0;
  return severities[Math.min(severities.length - 1, Math.max(0, i + shift))] ?? base;
}

/** Severity from how far past a threshold, in steps of `unit`: <1 low, <4 medium, <12 high, else critical. */
export function severityByExcess(excess: number, unit: number): Severity {
  const steps = excess / unit;
  if (steps < 1) return 'low';
  if (steps < 4) return 'medium';
  if (steps < 12) return 'high';
  return 'critical';
}

/** Earliest of two optional refs (then by id), for "resolved by whichever came first". */
export function earliest(a: Ref | undefined, b: Ref | undefined): Ref | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.at < b.at || (a.at === b.at && a.e <= b.e) ? a : b;
}
