import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPolicy, PolicyError } from '../../core/mod.ts';
import { activePolicyFrom, builtinActivePolicy, policyVersion } from '../../writeback/policy/version.ts';
import { repoRoot } from '../helpers/env.ts';

const TEMPLATE = readFileSync(
  path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml'),
  'utf8',
);

describe('policy version', () => {
  it('is v<version>-<first 12 hex of sha256 of the text>', () => {
    const active = activePolicyFrom(TEMPLATE, 'template.yaml');
    const sha = createHash('sha256').update(TEMPLATE).digest('hex');
    expect(active.version).toBe(`v1-${sha.slice(0, 12)}`);
    expect(active.version).toBe('v1-928b6bc22511');
    expect(active.source).toBe('template.yaml');
    expect(active.text).toBe(TEMPLATE);
    expect(Number.isNaN(Date.parse(active.loadedAt))).toBe(false);
  });

  it('is the same for CRLF and LF line endings', () => {
    const crlf = TEMPLATE.replace(/\n/g, '\r\n');
    expect(crlf).not.toBe(TEMPLATE);
    expect(activePolicyFrom(crlf, 'crlf.yaml').version).toBe(activePolicyFrom(TEMPLATE, 'lf.yaml').version);
  });

  it('changes with any other change of content, even one that parses to the same policy', () => {
    const base = activePolicyFrom(TEMPLATE, 'a').version;
    expect(
      activePolicyFrom(TEMPLATE.replace('confidence_min: 0.85', 'confidence_min: 0.95'), 'b').version,
    ).not.toBe(base);
    expect(activePolicyFrom(`${TEMPLATE}# a comment\n`, 'c').version).not.toBe(base);
    expect(activePolicyFrom(TEMPLATE.replace('version: 1', 'version: 2'), 'd').version).toMatch(
      /^v2-[0-9a-f]{12}$/,
    );
    expect(policyVersion('x', { version: 3 })).toBe(
      `v3-${createHash('sha256').update('x').digest('hex').slice(0, 12)}`,
    );
  });

  it('stamps the built-in defaults as builtin-…', () => {
    const active = builtinActivePolicy();
    expect(active.version).toMatch(/^builtin-v1-[0-9a-f]{12}$/);
    expect(active.policy).toBe(defaultPolicy);
    expect(active.source).toBe('builtin');
    expect(builtinActivePolicy().version).toBe(active.version);
  });

  it('publishes a frozen ActivePolicy', () => {
    const active = activePolicyFrom(TEMPLATE, 'a');
    expect(Object.isFrozen(active)).toBe(true);
    expect(Object.isFrozen(active.policy.thresholds.late_scan)).toBe(true);
  });

  it('refuses a bad text with the PolicyError of the schema', () => {
    expect(() =>
      activePolicyFrom(TEMPLATE.replace('retain_days: 365', 'retain_days: -1'), 'bad.yaml'),
    ).toThrow(PolicyError);
  });
});
