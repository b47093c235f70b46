import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadPolicy, PolicyError, parsePolicy, threshold } from '../../core/mod.ts';
import { policyReport } from '../../writeback/policy/report.ts';
import { repoRoot } from '../helpers/env.ts';

const TEMPLATE_FILE = path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml');
const TEMPLATE = readFileSync(TEMPLATE_FILE, 'utf8');

/** The template with one edit; fails loudly when the text to replace is not there. */
function variant(from: string, to: string): string {
  expect(TEMPLATE).toContain(from);
  return TEMPLATE.replace(from, to);
}

function problemsOf(text: string): PolicyError {
  try {
    parsePolicy(text, 'broken.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected the policy to be refused');
}

describe('policy schema', () => {
  it('keeps the repository copy of the template byte-identical to the one customers start from', () => {
    // The sha256 of the shared template, recorded in policies/PROVENANCE.md when it was copied.
    const provenance = readFileSync(path.join(repoRoot, 'policies/PROVENANCE.md'), 'utf8');
    const recorded = /`([0-9a-f]{64})`/.exec(provenance)?.[1];
    expect(recorded).toBe('928b6bc22511858901a0588b1422ef6975de40402301a603e1972cfbf594059d');
    expect(createHash('sha256').update(TEMPLATE).digest('hex')).toBe(recorded);
  });

  it('loads the template unchanged, every key typed', () => {
    const p = loadPolicy(TEMPLATE_FILE);
    expect(p.version).toBe(1);
    expect(p.owner).toBe('revops_ops_joint');
    expect(p.regions).toEqual(['us-midwest', 'us-southeast']);
    expect(p.systems?.crm?.system).toBe('salesforce');
    expect(p.systems?.crm?.objects).toEqual(['Account', 'Opportunity']);
    expect(p.systems?.wms?.event_stream).toBe('wms_ship_events');
    expect(p.logging?.retain_days).toBe(365);
    expect(p.logging?.decision_logging).toBe(true);
    expect(p.slo_targets?.notification_latency_minutes_p95).toBe(15);
    expect(p.safety?.outbound_message_requires_citations).toBe(true);
    expect(p.safety?.rollback?.max_minutes_since_writeback).toBe(120);
    const tier1 = p.thresholds.late_scan?.customer_tiers?.tier1?.writeback;
    expect(tier1?.approval_steps?.map((s) => s.step)).toEqual(['revops_manager', 'account_owner']);
    expect(p.thresholds.inventory_mismatch?.writeback?.fallback?.[0]).toEqual({
      action: 'open_jira_ticket',
      project: 'OPSDATA',
      severity: 'P2',
    });
    expect(threshold(p, 'late_scan', 'minutes_past_sla', 1)).toBe(60);
    expect(threshold(p, 'inventory_mismatch', 'variance_units_min', 1)).toBe(5);
  });

  it('freezes the parsed policy all the way down (decisions share it)', () => {
    const p = parsePolicy(TEMPLATE, 'template');
    const tier1 = p.thresholds.late_scan?.customer_tiers?.tier1?.writeback;
    expect(Object.isFrozen(p.thresholds)).toBe(true);
    expect(Object.isFrozen(tier1?.fields?.[0])).toBe(true);
    expect(() => {
      (tier1 as { confidence_min: number }).confidence_min = 0;
    }).toThrow(TypeError);
  });

  const broken: { name: string; from: string; to: string; path: string; value: string; expected: RegExp }[] =
    [
      {
        name: 'version: one',
        from: 'version: 1',
        to: 'version: one',
        path: 'version',
        value: '"one"',
        expected: /^number$/,
      },
      {
        name: 'confidence_min: 1.5',
        from: 'confidence_min: 0.78',
        to: 'confidence_min: 1.5',
        path: 'thresholds.late_scan.customer_tiers.tier1.writeback.confidence_min',
        value: '1.5',
        expected: /^number <= 1$/,
      },
      {
        name: 'an approval step whose role is not an approver',
        from: '            - step: account_owner',
        to: '            - step: warehouse_supervisor',
        path: 'thresholds.late_scan.customer_tiers.tier1.writeback.approval_steps.1.step',
        value: '"warehouse_supervisor"',
        expected: /^a role listed in rbac\.can_approve_writeback \(revops_manager, account_owner\)$/,
      },
      {
        name: 'approval_required without steps',
        from: '          approval_required: false',
        to: '          approval_required: true',
        path: 'thresholds.late_scan.customer_tiers.tier3.writeback.approval_steps',
        value: 'undefined (missing)',
        expected: /^at least one approval step when approval_required is true$/,
      },
      {
        name: 'retain_days: -1',
        from: 'retain_days: 365',
        to: 'retain_days: -1',
        path: 'logging.retain_days',
        value: '-1',
        expected: /^number >= 1$/,
      },
      {
        name: 'regions: "us" (not a list)',
        from: 'regions:\n  - us-midwest\n  - us-southeast',
        to: 'regions: "us"',
        path: 'regions',
        value: '"us"',
        expected: /^array$/,
      },
      {
        name: 'a duplicate region',
        from: '  - us-southeast',
        to: '  - us-midwest',
        path: 'regions.1',
        value: '"us-midwest"',
        expected: /listed once/,
      },
      {
        name: 'fields on a rule that does not allow write-back',
        from: '      allowed: false',
        to: '      allowed: false\n      fields:\n        - name: ops_risk_level\n          value: high',
        path: 'thresholds.inventory_mismatch.writeback.fields',
        value: '[{"name":"ops_risk_level","value":"high"}]',
        expected: /^no fields when allowed is false/,
      },
      {
        name: 'a Jira fallback without a project',
        from: '          project: OPSDATA\n',
        to: '',
        path: 'thresholds.inventory_mismatch.writeback.fallback.0.project',
        value: 'undefined (missing)',
        expected: /Jira project key/,
      },
      {
        name: 'an unknown CRM system',
        from: 'system: salesforce',
        to: 'system: hubspot',
        path: 'systems.crm.system',
        value: '"hubspot"',
        expected: /^one of salesforce, webhook, sandbox$/,
      },
      {
        name: 'a detector knob that is not a number',
        from: 'minutes_past_sla: 60',
        to: 'minutes_past_sla: "an hour"',
        path: 'thresholds.late_scan.minutes_past_sla',
        value: '"an hour"',
        expected: /^a number >= 0$/,
      },
      {
        name: 'a step timeout of zero',
        from: 'timeout_minutes: 30',
        to: 'timeout_minutes: 0',
        path: 'thresholds.late_scan.customer_tiers.tier1.writeback.approval_steps.0.timeout_minutes',
        value: '0',
        expected: /^a number > 0$/,
      },
    ];

  for (const b of broken) {
    it(`refuses ${b.name}, naming path, value and expectation`, () => {
      const err = problemsOf(variant(b.from, b.to));
      const issue = err.issues.find((i) => i.field === b.path);
      expect(issue, `issues: ${err.message}`).toBeDefined();
      expect(issue?.expected).toMatch(b.expected);
      expect(err.message).toContain(`POLICY_FILE=broken.yaml: ${b.path}: got ${b.value}, expected `);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.key).toBe('POLICY_FILE');
    });
  }

  it('loads a thresholds key that is not an exception type, reported not_enforced with a hint', () => {
    const p = parsePolicy(variant('  late_scan:', '  late_scna:'), 'ahead.yaml');
    expect(p.thresholds.late_scna?.customer_tiers?.tier1?.writeback?.confidence_min).toBe(0.78);
    const rows = policyReport(p).filter((r) => r.path.startsWith('thresholds.late_scna.'));
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) {
      expect(r.use).toBe('not_enforced');
      expect(r.by).toMatch(/^accepted, not enforced: late_scna is not an exception type/);
      expect(r.hint).toBe('did you mean late_scan?');
    }
  });

  it("loads a customer's extra keys (loose objects) and reports them as accepted, not enforced", () => {
    const text = `${TEMPLATE}escalation_contact: ops@example.com\nsafety_extra:\n  dry_run: true\n`;
    const p = parsePolicy(
      text.replace('owner: revops_ops_joint', 'owner: revops_ops_joint\nownr: x'),
      'extra.yaml',
    );
    const rows = new Map(policyReport(p).map((r) => [r.path, r]));
    expect(rows.get('escalation_contact')?.use).toBe('not_enforced');
    expect(rows.get('safety_extra.dry_run')?.by).toBe('accepted, not enforced');
    expect(rows.get('ownr')?.hint).toBe('did you mean owner?');
  });

  it('lists the first five issues in the message and all of them on the error', () => {
    const text = [
      'version: 0',
      'policy_name: ""',
      'regions: us',
      'logging: { retain_days: 0, prompt_logging: "yes" }',
      'safety: { pii_redaction: 1 }',
      'slo_targets: { notification_latency_minutes_p95: -5 }',
      'telemetry: { kpis: [{ name: x }] }',
    ].join('\n');
    const err = problemsOf(text);
    expect(err.issues.length).toBe(8);
    expect(err.message.split('; ').length).toBe(6);
    expect(err.message).toMatch(/; and 3 more \(dockside policy check lists all\)$/);
  });

  it('names the line of a file that is not YAML', () => {
    const err = problemsOf('version: 1\npolicy_name: x\nregions: [us\n');
    expect(err.message).toMatch(/^POLICY_FILE=broken\.yaml: not valid YAML: .*line \d+/);
  });
});
