import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DetectedException, loadPolicy } from '../../core/mod.ts';
import { decideWriteback } from '../../writeback/mod.ts';
import { sharedDir } from '../helpers/env.ts';

const policy = loadPolicy(path.join(sharedDir, 'policies/exception_to_crm_writeback.template.yaml'));

const ex = (o: Partial<DetectedException>): DetectedException => ({
  id: 'x',
  type: 'late_scan',
  status: 'open',
  severity: 'high',
  confidence: 0.9,
  detectedAt: '2026-01-01T00:00:00Z',
  occurredAt: '2026-01-01T00:00:00Z',
  evidence: ['e1'],
  details: {},
  version: 1,
  ...o,
});

describe('write-back decision under the template policy', () => {
  it('routes a tier1 late_scan above 0.78 to two approval steps with the policy fields', () => {
    const d = decideWriteback(policy, ex({ customerTier: 'tier1', confidence: 0.8 }));
    expect(d).toEqual({
      kind: 'write',
      fields: [
        { name: 'ops_risk_level', value: 'high' },
        { name: 'ops_risk_reason', value: 'late_scan' },
      ],
      approvals: [
        { role: 'revops_manager', timeoutMinutes: 30 },
        { role: 'account_owner', timeoutMinutes: 60 },
      ],
      autoActions: ['create_crm_task', 'draft_customer_update'],
    });
  });

  it('gates on confidence_min per tier', () => {
    expect(decideWriteback(policy, ex({ customerTier: 'tier1', confidence: 0.77 }))).toMatchObject({
      kind: 'below_confidence',
      min: 0.78,
    });
    expect(decideWriteback(policy, ex({ customerTier: 'tier3', confidence: 0.84 }))).toMatchObject({
      kind: 'below_confidence',
      min: 0.85,
    });
    expect(decideWriteback(policy, ex({ customerTier: 'tier3', confidence: 0.85 }))).toMatchObject({
      kind: 'write',
      approvals: [],
    });
  });

  it('has no rule for tier2 late_scan, and falls back to a Jira ticket for inventory_mismatch', () => {
    expect(decideWriteback(policy, ex({ customerTier: 'tier2' })).kind).toBe('no_rule');
    expect(decideWriteback(policy, ex({ type: 'inventory_mismatch' }))).toEqual({
      kind: 'not_allowed',
      reason: 'writeback is not allowed for inventory_mismatch',
      fallback: [{ action: 'open_jira_ticket', project: 'OPSDATA', severity: 'P2' }],
    });
  });
});
