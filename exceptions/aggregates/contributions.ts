import type { CanonicalEvent } from '../../core/mod.ts';
import { anyAtOrBefore, effectiveCommitment, isWismo, type ShipmentFacts } from '../facts.ts';
import { timeMs } from '../time.ts';
import {
  type AggKind,
  closePointOf,
  type PartialOut,
  type WindowPartials,
  type WindowSpec,
  windowOf,
} from './windows.ts';

/**
 * A shipment's contribution to the windowed aggregates, recomputed from its facts after every event
 * (the previous contribution is subtracted, the new one added), so it is order-independent like the facts.
 *  - WISMO orders: the shipment counts once, in the window of its first commitment, for that customer.
 *  - Scan coverage: a committed shipment not cancelled by its promisedShipBy is due in the window of
 *    promisedShipBy at its warehouse; it counts as scanned if a ship scan came by the window's close point.
 */
export interface ShipmentContribution {
  readonly ord?: readonly [number, string, PartialOut['tier']];
  readonly cov?: readonly [number, number, number, string];
}

/** The shipment's contribution as a pure function of its facts (taken before and after each event). */
export function contributionOf(f: ShipmentFacts, specs: Record<AggKind, WindowSpec>): ShipmentContribution {
  const first = f.commits?.[0];
  const cov = coverageOf(f, specs.coverage);
  return {
    ...(first ? { ord: [windowOf(specs.wismo, first.at), first.cust, first.tier] as const } : {}),
    ...(cov ? { cov } : {}),
  };
}

/** Subtracts the contribution before the event and adds the one after, where they differ. */
export function shipmentContributions(
  before: ShipmentContribution,
  after: ShipmentContribution,
  windows: WindowPartials,
): PartialOut[] {
  const out: PartialOut[] = [];
  const b = before.ord;
  const a = after.ord;
  if (b?.[0] !== a?.[0] || b?.[1] !== a?.[1]) {
    if (b) keep(out, windows.add('wismo', b[1], b[0], -1, 0));
    if (a) keep(out, windows.add('wismo', a[1], a[0], 1, 0, a[2] ? { tier: a[2] } : {}));
  }
  const p = before.cov;
  const n = after.cov;
  const same = p !== undefined && n !== undefined && p.every((v, i) => v === n[i]);
  if (!same) {
    if (p) keep(out, windows.add('coverage', p[3], p[0], -p[1], -p[2]));
    if (n) keep(out, windows.add('coverage', n[3], n[0], n[1], n[2]));
  }
  return out;
}

function coverageOf(
  f: ShipmentFacts,
  spec: WindowSpec,
): readonly [number, number, number, string] | undefined {
  const c = effectiveCommitment(f);
  if (!c) return undefined;
  const window = windowOf(spec, c.shipBy);
  if (anyAtOrBefore(f.cancels, c.shipBy)) return [window, 0, 0, c.wh] as const;
  const scanned = anyAtOrBefore(f.scans, closePointOf(spec, window)) ? 1 : 0;
  return [window, 1, scanned, c.wh] as const;
}

/** A WISMO contact counts once (by event id) in the window of its own time, for its customer. */
export function contactContribution(
  event: CanonicalEvent,
  specs: Record<AggKind, WindowSpec>,
  windows: WindowPartials,
): PartialOut | undefined {
  if (event.type !== 'crm.contact' || !isWismo(event.reason)) return undefined;
  const window = windowOf(specs.wismo, timeMs(event.occurredAt));
  return windows.add('wismo', event.customerId, window, 0, 1, { sampleId: event.id });
}

function keep(out: PartialOut[], p: PartialOut | undefined): void {
  if (p) out.push(p);
}
