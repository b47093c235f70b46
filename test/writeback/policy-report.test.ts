import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, detectorKnobs, exceptionTypes, parsePolicy } from '../../core/mod.ts';
import { didYouMean, policyReport } from '../../writeback/policy/report.ts';
import { repoRoot } from '../helpers/env.ts';

const TEMPLATE = readFileSync(
  path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml'),
  'utf8',
);

function variant(from: string, to: string): string {
  expect(TEMPLATE).toContain(from);
  return TEMPLATE.replace(from, to);
}

const rowsOf = (text: string) => new Map(policyReport(parsePolicy(text, 'p.yaml')).map((r) => [r.path, r]));

describe('policy report', () => {
  it('gives every key of the template a use, and none is accepted-but-not-enforced', () => {
    const rows = policyReport(parsePolicy(TEMPLATE, 'template'));
    expect(rows.filter((r) => r.use === 'not_enforced')).toEqual([]);
    // One row per leaf: the template's 54 keys (lists of objects walked with their indexes).
    expect(rows.length).toBe(54);
    expect(new Set(rows.map((r) => r.path)).size).toBe(rows.length);
    for (const r of rows) expect(r.by.length).toBeGreaterThan(10);
  });

  it('maps the template keys to what drives them', () => {
    const rows = rowsOf(TEMPLATE);
    const use = (p: string) => [rows.get(p)?.use, rows.get(p)?.by];
    expect(rows.get('regions')?.value).toEqual(['us-midwest', 'us-southeast']);
    expect(use('regions')).toEqual([
      'enforced',
      expect.stringMatching(/^data residency.*region_not_allowed/),
    ]);
    expect(use('systems.crm.objects')).toEqual(['enforced', expect.stringMatching(/^writable CRM objects/)]);
    expect(use('systems.crm.system')).toEqual(['enforced', expect.stringMatching(/^CRM adapter selection/)]);
    expect(use('systems.wms.event_stream')).toEqual([
      'metadata',
      expect.stringMatching(/WMS feed.*system=wms/),
    ]);
    expect(use('version')[0]).toBe('metadata');
    const gate = rows.get('thresholds.late_scan.customer_tiers.tier1.writeback.confidence_min');
    expect(gate).toMatchObject({
      value: 0.78,
      use: 'enforced',
      by: expect.stringMatching(/^confidence gate/),
    });
    expect(use('thresholds.late_scan.customer_tiers.tier1.writeback.approval_steps.1.step')).toEqual([
      'enforced',
      'approvals for late_scan / tier1: role that decides step 2',
    ]);
    expect(use('thresholds.late_scan.minutes_past_sla')[1]).toMatch(/^detector: late_scan/);
    expect(use('thresholds.inventory_mismatch.writeback.fallback.0.project')[1]).toMatch(/Jira project key/);
    expect(use('logging.retain_days')[1]).toMatch(/^decision log retention/);
    expect(use('rbac.can_approve_writeback.1.role')[1]).toMatch(/^RBAC: approver role/);
    expect(use('safety.rollback.max_minutes_since_writeback')[1]).toMatch(/^rollback window/);
    expect(use('telemetry.kpis.0.threshold_alert')[1]).toMatch(/dockside_kpi_threshold.*wismo_spike/);
    expect(use('slo_targets.notification_latency_minutes_p95')[1]).toMatch(/dockside_slo_target_seconds/);
  });

  it('reports keys the rule they sit in ignores as not enforced', () => {
    const fallbackWhileAllowed = rowsOf(
      variant(
        '          approval_required: false\n',
        '          approval_required: false\n          fallback:\n            - action: open_jira_ticket\n              project: OPS\n              severity: P3\n',
      ),
    );
    expect(
      fallbackWhileAllowed.get('thresholds.late_scan.customer_tiers.tier3.writeback.fallback.0.action'),
    ).toMatchObject({
      use: 'not_enforced',
      by: expect.stringMatching(/fallback runs only when .*allowed is false/),
    });
    const tierKnob = rowsOf(
      variant(
        '  inventory_mismatch:\n',
        '  inventory_mismatch:\n    customer_tiers:\n      tier1:\n        variance_units_min: 2\n',
      ),
    );
    expect(
      tierKnob.get('thresholds.inventory_mismatch.customer_tiers.tier1.variance_units_min'),
    ).toMatchObject({
      use: 'not_enforced',
      by: expect.stringMatching(/per type, not per tier/),
    });
    const tiered = rowsOf(variant('      tier3:\n', '      tier3:\n        minutes_past_sla: 120\n'));
    expect(tiered.get('thresholds.late_scan.customer_tiers.tier3.minutes_past_sla')?.use).toBe('enforced');
    const unknownAction = rowsOf(variant('- action: create_crm_task', '- action: create_crm_taks'));
    expect(
      unknownAction.get('thresholds.late_scan.customer_tiers.tier1.auto_actions.0.action'),
    ).toMatchObject({
      use: 'not_enforced',
      hint: 'did you mean create_crm_task?',
    });
    const rollbackOff = rowsOf(variant('    enabled: true\n', '    enabled: false\n'));
    expect(rollbackOff.get('safety.rollback.max_minutes_since_writeback')?.use).toBe('not_enforced');
    const knobTypo = rowsOf(variant('minutes_past_sla: 60', 'minutes_past_sl: 60'));
    expect(knobTypo.get('thresholds.late_scan.minutes_past_sl')).toMatchObject({
      use: 'not_enforced',
      hint: 'did you mean minutes_past_sla?',
    });
  });

  it('reports the built-in defaults as metadata only', () => {
    expect(policyReport(defaultPolicy).map((r) => [r.path, r.use])).toEqual([
      ['version', 'metadata'],
      ['policy_name', 'metadata'],
    ]);
  });

  it('hints only close matches', () => {
    expect(didYouMean('late_scna', exceptionTypes)).toBe('did you mean late_scan?');
    expect(didYouMean('forklift_fire', exceptionTypes)).toBeUndefined();
  });

  it("keeps core's exception types and knobs in step with the detector's threshold( calls", () => {
    const dirs = ['exceptions/rules', 'exceptions/aggregates'].map((d) => path.join(repoRoot, d));
    const types = new Set<string>();
    const knobs = new Map<string, { tiered: boolean }>();
    for (const dir of dirs) {
      for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
        const src = readFileSync(path.join(dir, name), 'utf8');
        const own = /const TYPE = '([a-z0-9_]+)'/.exec(src)?.[1];
        if (own) types.add(own);
        for (const call of thresholdCalls(src)) {
          const type = call[1] === 'TYPE' ? own : /^'([a-z0-9_]+)'$/.exec(call[1] ?? '')?.[1];
          const key = /^'([a-z0-9_]+)'$/.exec(call[2] ?? '')?.[1];
          expect(type && key, `${name}: ${call.join(', ')}`).toBeTruthy();
          const id = `${type}.${key}`;
          knobs.set(id, { tiered: (knobs.get(id)?.tiered ?? false) || call.length >= 5 });
        }
      }
    }
    expect([...types].sort()).toEqual([...exceptionTypes].sort());
    const table = new Map(
      Object.entries(detectorKnobs).flatMap(([type, ks]) =>
        ks.map((k) => [`${type}.${k.key}`, { tiered: k.tiered }]),
      ),
    );
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries(knobs));
  });
});

/** The top-level arguments of every `threshold(` call in a source file (nested calls found too). */
function thresholdCalls(src: string): string[][] {
  const calls: string[][] = [];
  for (let at = src.indexOf('threshold('); at >= 0; at = src.indexOf('threshold(', at + 1)) {
    if (/[\w.]/.test(src[at - 1] ?? '')) continue;
    const args: string[] = [];
    let depth = 0;
    let cur = '';
    for (let i = at + 'threshold('.length; i < src.length; i++) {
      const ch = src[i] ?? '';
      if (depth === 0 && (ch === ',' || ch === ')')) {
        if (cur.trim() !== '') args.push(cur.trim());
        cur = '';
        if (ch === ')') break;
        continue;
      }
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      cur += ch;
    }
    calls.push(args);
  }
  return calls;
}
