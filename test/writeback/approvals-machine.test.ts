import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DetectedException, loadPolicy } from '../../core/mod.ts';
import { approvalKey } from '../../writeback/approvals/approval.ts';
import {
  type Actor,
  approve,
  canDecide,
  createApproval,
  reject,
  sweep,
  withdraw,
} from '../../writeback/approvals/machine.ts';
import { type CustomerEntry, decide } from '../../writeback/mod.ts';
import { repoRoot } from '../helpers/env.ts';

const policy = loadPolicy(path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml'));
const T0 = Date.parse('2026-12-03T10:00:00Z');
const MIN = 60_000;

const ex: DetectedException = {
  id: 'late_scan:1',
  type: 'late_scan',
  status: 'open',
  severity: 'high',
  confidence: 0.92,
  detectedAt: '2026-12-03T09:59:00Z',
  occurredAt: '2026-12-03T09:00:00Z',
  evidence: ['evt-commit-1'],
  details: {},
  version: 1e13,
  customerId: 'CUST-001',
  customerTier: 'tier1',
  shipmentId: 'SHP-1',
};
const customer: CustomerEntry = {
  customerId: 'CUST-001',
  crmAccountId: '001000000000001AAA',
  ownerUserId: 'owner-ana',
  region: 'us-midwest',
  tier: 'tier1',
  attributes: {},
};
const revops: Actor = { userId: 'rv-1', name: 'Rita', roles: ['revops_manager'], regions: ['us-midwest'] };
const revopsWest: Actor = { userId: 'rv-2', name: 'Wes', roles: ['revops_manager'], regions: ['us-west'] };
const ana: Actor = { userId: 'owner-ana', name: 'Ana', roles: ['account_owner'], regions: [] };
const bob: Actor = { userId: 'owner-bob', name: 'Bob', roles: ['account_owner'], regions: [] };
const admin: Actor = { userId: 'adm', name: 'Admin', roles: ['admin'], regions: ['*'] };

function fresh(triggeredBy = 'system:policy') {
  const d = decide(ex, { policy, version: 'v1-t' }, customer);
  return createApproval({ id: 'ap-abc-0', decision: d, exception: ex, customer, triggeredBy, nowMs: T0 });
}

describe('approval state machine (policy steps: revops_manager 30 min, then account_owner 60 min)', () => {
  it('starts at the first step with its deadline; the KV key groups an exception’s approvals', () => {
    const a = fresh();
    expect(a.status).toBe('pending');
    expect(a.steps.map((s) => [s.role, s.status])).toEqual([
      ['revops_manager', 'pending'],
      ['account_owner', 'waiting'],
    ]);
    expect(a.steps[0]?.deadline).toBe(new Date(T0 + 30 * MIN).toISOString());
    expect(approvalKey('ap-abc-0')).toBe('abc.0');
  });

  it('goes through the two roles in order, each step by a holder of its role', () => {
    let a = fresh();
    expect(() => approve(a, ana, 'ok', T0, 'admin')).toThrow(/waits for revops_manager/);
    a = approve(a, revops, 'confirmed with ops', T0 + MIN, 'admin');
    expect(a).toMatchObject({ status: 'pending', current: 1 });
    expect(a.steps[1]?.deadline).toBe(new Date(T0 + MIN + 60 * MIN).toISOString());
    a = approve(a, ana, 'customer informed', T0 + 2 * MIN, 'admin');
    expect(a.status).toBe('approved');
    expect(a.steps.map((s) => s.by?.userId)).toEqual(['rv-1', 'owner-ana']);
    expect(a.history.map((h) => h.action)).toEqual(['created', 'approved', 'approved']);
  });

  it('applies object-level rules: other regions, other owners, self-approval and one person per approval', () => {
    let a = fresh();
    expect(canDecide(a, revopsWest, 'admin')).toMatchObject({ ok: false, code: 'NOT_YOUR_ACCOUNT' });
    a = approve(a, revops, 'ok', T0, 'admin');
    expect(canDecide(a, bob, 'admin')).toMatchObject({ ok: false, code: 'NOT_YOUR_ACCOUNT' });
    const both: Actor = { ...revops, roles: ['revops_manager', 'account_owner'], userId: 'rv-1' };
    expect(canDecide(a, both, 'admin')).toMatchObject({ ok: false, code: 'SAME_APPROVER' });
    const triggered = fresh('owner-ana');
    const step1 = approve(triggered, revops, 'ok', T0, 'admin');
    expect(canDecide(step1, ana, 'admin')).toMatchObject({ ok: false, code: 'SELF_APPROVAL' });
    expect(() => approve(step1, ana, 'ok', T0, 'admin')).toThrow(
      expect.objectContaining({ httpStatus: 403 }),
    );
  });

  it('rejects at the current step; a decided approval answers 409', () => {
    const r = reject(fresh(), revops, 'not a real delay', T0, 'admin');
    expect(r.status).toBe('rejected');
    expect(() => approve(r, revops, 'x', T0, 'admin')).toThrow(expect.objectContaining({ httpStatus: 409 }));
  });

  it('times out: escalates once (admin may act), then expires', () => {
    const a = fresh();
    expect(sweep(a, T0 + 29 * MIN)).toBeUndefined();
    const first = sweep(a, T0 + 30 * MIN);
    expect(first?.action).toBe('escalated');
    const esc = first?.next ?? a;
    expect(esc.steps[0]?.escalated).toBe(true);
    expect(canDecide(esc, admin, 'admin')).toEqual({ ok: true, as: 'admin' });
    expect(canDecide(a, admin, 'admin')).toMatchObject({ ok: false, code: 'WRONG_ROLE' });
    const second = sweep(esc, T0 + 60 * MIN);
    expect(second?.action).toBe('expired');
    expect(second?.next.status).toBe('expired');
  });

  it('is withdrawn only while pending', () => {
    expect(withdraw(fresh(), 'resolved', T0)?.status).toBe('withdrawn');
    expect(withdraw(reject(fresh(), revops, 'no', T0, 'admin'), 'resolved', T0)).toBeUndefined();
  });
});
