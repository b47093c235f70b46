import { seededRandom } from '../../../core/mod.ts';
import type { IncidentMember } from '../../../exceptions/mod.ts';

/** Builders for the incident tests: exception states with a warehouse, a carrier, a lane and a customer. */
export const T0 = Date.parse('2026-03-02T12:00:00Z');
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const iso = (ms: number) => new Date(ms).toISOString();

let seq = 0;
export function member(atMs: number, o: Partial<IncidentMember> = {}): IncidentMember {
  seq++;
  return {
    id: `late_scan:${String(seq).padStart(5, '0')}`,
    type: 'late_scan',
    status: 'open',
    severity: 'medium',
    occurredAt: iso(atMs),
    version: 1e13 + 3,
    warehouseId: 'WH-A',
    carrierId: 'CARR-1',
    lane: 'WH-A>R1',
    customerId: 'C1',
    customerTier: 'tier2',
    ...o,
  };
}

/** n members `stepMs` apart from `fromMs`. */
export const series = (n: number, fromMs: number, stepMs: number, o: Partial<IncidentMember> = {}) =>
  Array.from({ length: n }, (_, i) => member(fromMs + i * stepMs, o));

export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rand = seededRandom(seed);
  return xs
    .map((x) => ({ x, k: rand() }))
    .sort((a, b) => a.k - b.k)
    .map((p) => p.x);
}

/** A busy mix: several warehouses, carriers, lanes, customers and types, some without a carrier. */
export function mix(n: number, seed: number): IncidentMember[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
  return Array.from({ length: n }, () => {
    const carrier = rand() < 0.7 ? pick(['CARR-1', 'CARR-2', 'CARR-3']) : undefined;
    return member(T0 + Math.floor(rand() * 12 * HOUR), {
      type: pick(['late_scan', 'late_scan', 'short_pick', 'missed_pickup']),
      status: pick(['open', 'open', 'assigned', 'resolved'] as const),
      severity: pick(['low', 'medium', 'high', 'critical'] as const),
      warehouseId: pick(['WH-A', 'WH-B']),
      carrierId: carrier,
      lane: pick(['WH-A>R1', 'WH-B>R2', 'WH-A>R3']),
      customerId: pick(['C1', 'C2', 'C3', 'C4', 'C5']),
      customerTier: pick(['tier1', 'tier2', 'tier3'] as const),
    });
  });
}
