import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConfigError, createLogger, PolicyError } from '../../core/mod.ts';
import { PolicyHolder } from '../../writeback/policy/holder.ts';
import type { ActivePolicy } from '../../writeback/policy/version.ts';
import { repoRoot, tempDir } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

const TEMPLATE = readFileSync(
  path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml'),
  'utf8',
);
const tier3Min = (a: ActivePolicy) =>
  a.policy.thresholds.late_scan?.customer_tiers?.tier3?.writeback?.confidence_min;

describe('PolicyHolder', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let holder: PolicyHolder | undefined;

  /** Replaces the file in one step (write + rename), as editors and config managers do. */
  const replaceFile = (text: string) => {
    const next = `${file}.next`;
    writeFileSync(next, text);
    renameSync(next, file);
  };

  beforeEach(() => {
    tmp = tempDir('policy-holder');
    file = path.join(tmp.dir, 'policy.yaml');
    writeFileSync(file, TEMPLATE);
  });
  afterEach(() => {
    holder?.stop();
    holder = undefined;
    tmp.remove();
  });

  it('swaps to a changed file and tells listeners; the previous object is left as it was', async () => {
    holder = PolicyHolder.fromFile(file);
    const before = holder.current();
    expect(tier3Min(before)).toBe(0.85);
    const changes: [ActivePolicy, ActivePolicy][] = [];
    holder.onChange((next, prev) => changes.push([next, prev]));
    holder.watch({ intervalMs: 50 });

    replaceFile(TEMPLATE.replace('confidence_min: 0.85', 'confidence_min: 0.95'));
    const [next, prev] = await waitFor('the policy change', () => changes[0]);
    expect(prev).toBe(before);
    expect(next).toBe(holder.current());
    expect(next.version).not.toBe(before.version);
    expect(next.version).toMatch(/^v1-[0-9a-f]{12}$/);
    expect(tier3Min(next)).toBe(0.95);
    // A decision that started with `before` still sees the old rule.
    expect(tier3Min(before)).toBe(0.85);
    expect(changes).toHaveLength(1);
  });

  it('refuses a broken file: the old version stays and the rejection names the path', async () => {
    const logged = new PassThrough();
    let logText = '';
    logged.on('data', (d: Buffer) => {
      logText += d.toString();
    });
    holder = PolicyHolder.fromFile(file);
    const before = holder.current();
    const rejections: [ConfigError, string][] = [];
    const changes: ActivePolicy[] = [];
    holder.onRejected((err, f) => rejections.push([err, f]));
    holder.onChange((next) => changes.push(next));
    holder.watch({ intervalMs: 50, logger: createLogger({ logLevel: 'info' }, logged) });

    replaceFile(TEMPLATE.replace('retain_days: 365', 'retain_days: -1'));
    const [err, f] = await waitFor('the rejection', () => rejections[0]);
    expect(f).toBe(file);
    expect(err).toBeInstanceOf(PolicyError);
    expect(err.message).toContain(`POLICY_FILE=${file}: logging.retain_days: got -1, expected number >= 1`);
    expect(holder.current()).toBe(before);
    // The same bad content is reported once, however often it is looked at.
    expect(await holder.check()).toBe('rejected');
    expect(await holder.check()).toBe('rejected');
    expect(rejections).toHaveLength(1);
    await waitFor('the refusal in the log', () =>
      logText.includes('the changed file was refused') && logText.includes('logging.retain_days')
        ? true
        : undefined,
    );

    // Fixed: the fix is taken.
    replaceFile(TEMPLATE.replace('retain_days: 365', 'retain_days: 400'));
    const next = await waitFor('the fixed policy', () => changes[0]);
    expect(next.policy.logging?.retain_days).toBe(400);
    expect(holder.current()).toBe(next);
    expect(changes).toHaveLength(1);
  });

  it('ignores a change of line endings only (same version)', async () => {
    holder = PolicyHolder.fromFile(file);
    const before = holder.current();
    let changed = 0;
    holder.onChange(() => {
      changed += 1;
    });
    replaceFile(TEMPLATE.replace(/\n/g, '\r\n'));
    expect(await holder.check()).toBe('unchanged');
    expect(holder.current()).toBe(before);
    expect(changed).toBe(0);
  });

  it('keeps the current policy while the file is missing, then carries on', async () => {
    holder = PolicyHolder.fromFile(file);
    const before = holder.current();
    const rejections: string[] = [];
    holder.onRejected((err) => rejections.push(err.message));
    renameSync(file, `${file}.away`);
    expect(await holder.check()).toBe('rejected');
    expect(rejections).toEqual([`POLICY_FILE=${file}: cannot read the file`]);
    renameSync(`${file}.away`, file);
    expect(await holder.check()).toBe('unchanged');
    expect(holder.current()).toBe(before);
  });

  it('shares one look between concurrent checks (one change, announced once)', async () => {
    holder = PolicyHolder.fromFile(file);
    let changed = 0;
    holder.onChange(() => {
      changed += 1;
    });
    replaceFile(TEMPLATE.replace('retain_days: 365', 'retain_days: 30'));
    const results = await Promise.all([holder.check(), holder.check(), holder.check()]);
    expect(results).toEqual(['changed', 'changed', 'changed']);
    expect(changed).toBe(1);
    expect(await holder.check()).toBe('unchanged');
  });

  it('serves the built-in defaults without a file, and refuses a bad file at start', async () => {
    const builtin = PolicyHolder.fromFile(undefined);
    expect(builtin.current().version).toMatch(/^builtin-/);
    builtin.watch({ intervalMs: 50 });
    expect(await builtin.check()).toBe('unchanged');
    builtin.stop();

    writeFileSync(file, 'version: one\npolicy_name: x\n');
    expect(() => PolicyHolder.fromFile(file)).toThrow(/POLICY_FILE=.*version: got "one", expected number/);
  });
});
