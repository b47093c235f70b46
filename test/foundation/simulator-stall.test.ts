import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../app/simulator/simulator.ts';
import type { CanonicalEvent } from '../../core/mod.ts';

/** Runs the demo simulator on a synthetic clock for `seconds`, 50 ms ticks. */
function run(stall?: Parameters<typeof createSimulator>[0]['stall']) {
  const sim = createSimulator({ rate: 600, seed: 3, runId: 't', ...(stall ? { stall } : {}) });
  const events: CanonicalEvent[] = [];
  for (let t = T0; t < T0 + 60_000; t += 50) events.push(...sim.step(t, 50));
  return { events, stats: sim.stats };
}
const T0 = Date.parse('2026-12-03T12:00:00Z');

describe('the demo simulator’s bad afternoon (one carrier stops scanning at one warehouse)', () => {
  it('takes away exactly the scans of that carrier at that warehouse in the window, nothing else', () => {
    const plain = run();
    const stall = { warehouseId: 'WH-ATL1', carrierId: 'UPSN', fromMs: T0 + 10_000, toMs: T0 + 30_000 };
    const bad = run(stall);
    const key = (e: CanonicalEvent) => JSON.stringify(e);
    const kept = new Set(bad.events.map(key));
    const gone = plain.events.filter((e) => !kept.has(key(e)));
    const added = new Set(plain.events.map(key));
    expect(bad.events.filter((e) => !added.has(key(e)))).toEqual([]);
    const commits = new Map(
      plain.events.flatMap((e) => (e.type === 'shipment.committed' ? [[e.shipmentId, e] as const] : [])),
    );
    expect(bad.stats.stalled).toBeGreaterThan(5);
    // Per stalled shipment its ship scan and the carrier's pickup (only of those that would have been scanned).
    expect(gone.length).toBeGreaterThan(5);
    for (const e of gone) {
      expect(['wms.ship_scan', 'tms.status']).toContain(e.type);
      const c = 'shipmentId' in e ? commits.get(e.shipmentId as string) : undefined;
      expect(c?.type === 'shipment.committed' && [c.warehouseId, c.carrierId]).toEqual(['WH-ATL1', 'UPSN']);
      const at = Date.parse(c?.occurredAt ?? '');
      expect(at >= stall.fromMs && at < stall.toMs).toBe(true);
    }
    expect({ ...bad.stats, stalled: 0, events: 0 }).toEqual({ ...plain.stats, stalled: 0, events: 0 });
  });
});
