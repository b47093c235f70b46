import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectedException } from '../../core/mod.ts';
import { decide } from '../../writeback/mod.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { startWorld, type World } from '../helpers/writeback-world.ts';

/**
 * Two RevOps managers of the same region click "approve" on the same step at the same moment, 100 times:
 * the approval record in NATS KV takes exactly one transition each time (compare-and-set), the other
 * person gets a 409, and the decision log records one approval.
 */
let world: World;
let t: TestDockside;

beforeAll(async () => {
  world = await startWorld('race');
  t = await startTestDockside('race', world.env);
});
afterAll(async () => {
  await t?.close();
  await world?.close();
});

const exception = (i: number): DetectedException => ({
  id: `late_scan:race-${process.pid}-${i}`,
  type: 'late_scan',
  status: 'open',
  severity: 'high',
  confidence: 0.92,
  detectedAt: new Date().toISOString(),
  occurredAt: new Date().toISOString(),
  evidence: [`commit-race-${i}`],
  details: {},
  version: 1e13,
  customerId: 'CUST-T1',
  customerTier: 'tier1',
  shipmentId: `SHP-RACE-${i}`,
});

describe('approvals under concurrent clicks', () => {
  it('two approvers on the same step at the same moment: one transition, one 409 — 100 times', async () => {
    const wb = t.dockside.writeback;
    const customer = wb.directory.get('CUST-T1');
    if (!customer) throw new Error('CUST-T1 not in the directory');
    const token = (userId: string) =>
      `Bearer ${t.auth.tokenFor(['revops_manager'], { userId, regions: ['us-midwest'] })}`;
    const rita = token('revops-rita');
    const ray = token('revops-ray');
    const outcomes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const ex = exception(i);
      const d = decide(ex, wb.policy(), customer);
      const a = await wb.service.open({
        decision: d,
        facts: { ...ex, details: {} },
        customer,
        triggeredBy: 'system:policy',
      });
      if (!a) throw new Error(`approval ${i} not created`);
      const click = (authorization: string) =>
        t.dockside.server.inject({
          method: 'POST',
          url: `/api/approvals/${a.id}/approve`,
          headers: { authorization },
          payload: { reason: 'looks right', step: 0 },
        });
      const [r1, r2] = await Promise.all([click(rita), click(ray)]);
      const codes = [r1.statusCode, r2.statusCode].sort();
      outcomes.push(codes.join('/'));
      const stored = (await wb.approvals.get(a.id))?.value;
      const approvedAtStep0 = stored?.history.filter((h) => h.action === 'approved' && h.step === 0) ?? [];
      expect(approvedAtStep0, `try ${i}`).toHaveLength(1);
      expect(stored?.current, `try ${i}`).toBe(1);
      const loser = r1.statusCode === 409 ? r1 : r2;
      expect(JSON.parse(loser.body).error.code, `try ${i}`).toMatch(/^APPROVAL_(CONFLICT|STEP_MOVED)$/);
    }
    expect(new Set(outcomes)).toEqual(new Set(['200/409']));
  }, 120_000);
});
