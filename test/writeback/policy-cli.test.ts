import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { spawnCli } from '../helpers/cli.ts';
import { repoRoot, tempDir } from '../helpers/env.ts';

const TEMPLATE_FILE = path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml');
const TEMPLATE = readFileSync(TEMPLATE_FILE, 'utf8');
const tmp = tempDir('policy-cli');
afterAll(() => tmp.remove());

function writePolicy(name: string, text: string): string {
  const file = path.join(tmp.dir, name);
  writeFileSync(file, text);
  return file;
}

async function run(args: string[]) {
  const cli = spawnCli(args, {});
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

const row = z.object({
  path: z.string(),
  value: z.unknown(),
  use: z.enum(['enforced', 'metadata', 'not_enforced']),
  by: z.string().min(1),
  hint: z.string().optional(),
});
const problem = z.object({ path: z.string(), value: z.unknown(), expected: z.string() });
const checkOk = z.object({
  ok: z.literal(true),
  file: z.string(),
  version: z.string(),
  policyName: z.string(),
  owner: z.string().optional(),
  keys: z.array(row),
  counts: z.object({ enforced: z.number(), metadata: z.number(), not_enforced: z.number() }),
  errors: z.array(problem).length(0),
});
const checkFailed = z.object({ ok: z.literal(false), file: z.string(), errors: z.array(problem).min(1) });

describe('dockside policy', () => {
  it('check: the template is ok (exit 0) with its version, name, owner and key table', async () => {
    const { code, stdout } = await run(['policy', 'check', TEMPLATE_FILE]);
    expect(code).toBe(0);
    expect(stdout).toContain('policy:  exception_to_crm_writeback');
    expect(stdout).toContain('owner:   revops_ops_joint');
    expect(stdout).toContain('version: v1-928b6bc22511');
    expect(stdout).toMatch(
      /^enforced +thresholds\.late_scan\.customer_tiers\.tier1\.writeback\.confidence_min +0\.78 +confidence gate/m,
    );
    expect(stdout).toContain('54 keys: 49 enforced, 5 metadata, 0 accepted but not enforced');
    expect(stdout.trimEnd().endsWith('\nok')).toBe(true);
  });

  it('check --json: one document with the key table', async () => {
    const { code, stdout } = await run(['policy', 'check', TEMPLATE_FILE, '--json']);
    expect(code).toBe(0);
    const doc = checkOk.parse(JSON.parse(stdout));
    expect(doc.version).toBe('v1-928b6bc22511');
    expect(doc.counts.not_enforced).toBe(0);
    expect(doc.keys.find((k) => k.path === 'regions')).toMatchObject({
      value: ['us-midwest', 'us-southeast'],
      use: 'enforced',
    });
  });

  it('check: a broken file exits 2 and names path, value and expectation of every problem', async () => {
    const file = writePolicy(
      'broken.yaml',
      TEMPLATE.replace('confidence_min: 0.78', 'confidence_min: 1.5').replace(
        'retain_days: 365',
        'retain_days: -1',
      ),
    );
    const text = await run(['policy', 'check', file]);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain(`policy check: ${file}: 2 problem(s)`);
    expect(text.stderr).toContain(
      'thresholds.late_scan.customer_tiers.tier1.writeback.confidence_min: got 1.5, expected number <= 1',
    );
    expect(text.stderr).toContain('logging.retain_days: got -1, expected number >= 1');

    const json = await run(['policy', 'check', file, '--json']);
    expect(json.code).toBe(2);
    const doc = checkFailed.parse(JSON.parse(json.stdout));
    expect(doc.errors).toContainEqual({ path: 'logging.retain_days', value: -1, expected: 'number >= 1' });
  });

  it('check: an unreadable file exits 2; --strict fails on keys that are not enforced', async () => {
    const missing = await run(['policy', 'check', path.join(tmp.dir, 'nope.yaml'), '--json']);
    expect(missing.code).toBe(2);
    expect(checkFailed.parse(JSON.parse(missing.stdout)).errors[0]?.expected).toBe('a readable policy file');

    const ahead = writePolicy(
      'ahead.yaml',
      TEMPLATE.replace('  inventory_mismatch:', '  inventory_mismatc:'),
    );
    const lenient = await run(['policy', 'check', ahead]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(
      /^not_enforced +thresholds\.inventory_mismatc\.variance_units_min .*\(did you mean inventory_mismatch\?\)$/m,
    );
    const strict = await run(['policy', 'check', ahead, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toContain('not ok (--strict)');
  });

  it('diff: lists the keys that differ, with what they drive', async () => {
    const candidate = writePolicy(
      'candidate.yaml',
      TEMPLATE.replace('confidence_min: 0.85', 'confidence_min: 0.95').replace(
        '    - role: warehouse_supervisor\n',
        '    - role: warehouse_supervisor\n    - role: planner_lead\n',
      ),
    );
    const text = await run(['policy', 'diff', TEMPLATE_FILE, candidate]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      '~ thresholds.late_scan.customer_tiers.tier3.writeback.confidence_min: 0.85 → 0.95  [enforced: confidence gate',
    );
    expect(text.stdout).toContain('+ rbac.read_only_roles.1.role: "planner_lead"');
    expect(text.stdout).toContain('2 key(s) differ');

    const json = await run(['policy', 'diff', TEMPLATE_FILE, candidate, '--json']);
    const doc = z
      .object({
        ok: z.literal(true),
        changes: z.array(
          z.object({ path: z.string(), change: z.enum(['changed', 'added', 'removed']) }).loose(),
        ),
      })
      .parse(JSON.parse(json.stdout));
    expect(doc.changes.map((c) => [c.path, c.change])).toEqual([
      ['rbac.read_only_roles.1.role', 'added'],
      ['thresholds.late_scan.customer_tiers.tier3.writeback.confidence_min', 'changed'],
    ]);

    const same = await run(['policy', 'diff', TEMPLATE_FILE, TEMPLATE_FILE]);
    expect(same.stdout).toContain('no differences');
  });
});
