import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DetectedException, loadPolicy } from '../../core/mod.ts';
import { type CustomerEntry, decide, outcomeKey, writableFields } from '../../writeback/mod.ts';
import { repoRoot } from '../helpers/env.ts';

const TEMPLATE = path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml');
const active = { policy: loadPolicy(TEMPLATE), version: 'v1-test' };

const ex = (o: Partial<DetectedException>): DetectedException => ({
  id: 'late_scan:abc',
  type: 'late_scan',
  status: 'open',
  severity: 'high',
  confidence: 0.9,
  detectedAt: '2026-01-01T00:00:00Z',
  occurredAt: '2026-01-01T00:00:00Z',
  evidence: ['e1'],
  details: {},
  version: 1e13,
  customerId: 'CUST-001',
  customerTier: 'tier1',
  ...o,
});

const customer = (o: Partial<CustomerEntry> = {}): CustomerEntry => ({
  customerId: 'CUST-001',
  crmAccountId: '001000000000001AAA',
  ownerUserId: 'owner-ana',
  region: 'us-midwest',
  tier: 'tier1',
  attributes: {},
  ...o,
});

describe('write-back decision under the template policy (loaded unchanged)', () => {
  it('tier1 late_scan at 0.9: a CRM task, a draft, and the two fields awaiting revops_manager (30) then account_owner (60)', () => {
    const d = decide(ex({ confidence: 0.9 }), active, customer());
    expect(d).toMatchObject({
      outcome: 'approval',
      reasonCode: 'approval_required',
      policyVersion: 'v1-test',
      rule: 'thresholds.late_scan.customer_tiers.tier1.writeback',
      fields: [
        { name: 'ops_risk_level', value: 'high' },
        { name: 'ops_risk_reason', value: 'late_scan' },
      ],
      approvalSteps: [
        { role: 'revops_manager', timeoutMinutes: 30 },
        { role: 'account_owner', timeoutMinutes: 60 },
      ],
    });
    expect(d.autoActions.map((a) => a.kind)).toEqual(['create_crm_task', 'draft_customer_update']);
    expect(d.writeId).toMatch(/^wr-[0-9a-f]{20}$/);
  });

  it('tier1 at 0.7: nothing written, held with reason below_confidence (no auto actions either)', () => {
    const d = decide(ex({ confidence: 0.7 }), active, customer());
    expect(d).toMatchObject({ outcome: 'held', reasonCode: 'below_confidence', confidenceMin: 0.78 });
    expect(d.autoActions).toEqual([]);
  });

  it('tier3 at ≥ 0.85: ops_risk_level=medium written with no approval; at 0.8 not written', () => {
    const c3 = customer({ tier: 'tier3' });
    const at85 = decide(ex({ customerTier: 'tier3', confidence: 0.85 }), active, c3);
    expect(at85).toMatchObject({
      outcome: 'write',
      reasonCode: 'auto_write',
      fields: [{ name: 'ops_risk_level', value: 'medium' }],
      approvalSteps: [],
    });
    expect(at85.autoActions.map((a) => a.kind)).toEqual(['create_crm_task']);
    const at80 = decide(ex({ customerTier: 'tier3', confidence: 0.8 }), active, c3);
    expect(at80).toMatchObject({ outcome: 'held', reasonCode: 'below_confidence' });
  });

  it('inventory_mismatch: no write-back, a Jira fallback in project OPSDATA with severity P2', () => {
    const d = decide(
      ex({ type: 'inventory_mismatch', customerId: undefined, customerTier: undefined }),
      active,
      undefined,
    );
    expect(d).toMatchObject({ outcome: 'fallback', reasonCode: 'not_allowed', fields: [] });
    expect(d.fallback).toEqual([
      {
        kind: 'open_jira_ticket',
        actionId: expect.stringMatching(/^ac-/),
        params: { project: 'OPSDATA', severity: 'P2' },
      },
    ]);
  });

  it('a customer outside the policy regions: region_not_allowed, nothing written', () => {
    const d = decide(ex({}), active, customer({ region: 'us-west' }));
    expect(d).toMatchObject({ outcome: 'held', reasonCode: 'region_not_allowed' });
    expect(d.reason).toContain('us-midwest, us-southeast');
  });

  it('an unknown customer is held; tier2 has no rule; a resolved exception withdraws', () => {
    expect(decide(ex({}), active, undefined)).toMatchObject({
      outcome: 'held',
      reasonCode: 'customer_unknown',
    });
    expect(decide(ex({ customerTier: 'tier2' }), active, customer({ tier: 'tier2' }))).toMatchObject({
      outcome: 'none',
      reasonCode: 'no_rule',
    });
    expect(
      decide(ex({ status: 'resolved', resolution: 'scan arrived late' }), active, customer()),
    ).toMatchObject({
      outcome: 'withdraw',
      reasonCode: 'exception_resolved',
    });
  });

  it('is deterministic: the same state gives the same ids and outcome key; fields come only from the policy', () => {
    const a = decide(ex({}), active, customer());
    const b = decide(ex({}), active, customer());
    expect(a).toEqual(b);
    expect(outcomeKey(a)).toBe(outcomeKey(b));
    expect([...writableFields(active.policy)].sort()).toEqual(['ops_risk_level', 'ops_risk_reason']);
  });
});
