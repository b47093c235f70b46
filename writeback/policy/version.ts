import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { defaultPolicy, type Policy, parsePolicy } from '../../core/mod.ts';

/**
 * A policy as published to the pipeline. Never mutated once published (the policy inside is deep-frozen):
 * a decision keeps the object it started with, so a hot reload cannot change a decision in flight.
 */
export interface ActivePolicy {
  readonly policy: Policy;
  /** `v<version>-<12 hex of sha256(text)>`, or `builtin-…` for the built-in defaults. */
  readonly version: string;
  /** The file it came from, or `builtin`. */
  readonly source: string;
  /** RFC 3339 UTC time it was loaded. */
  readonly loadedAt: string;
  /** The file's text as read (the hash is over it with CRLF normalized to LF). */
  readonly text: string;
}

export const BUILTIN_SOURCE = 'builtin';

/** Line endings only: a file saved on Windows is the same policy; any other byte is a new version. */
export function normalizePolicyText(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

export function policyTextHash(text: string): string {
  return createHash('sha256').update(normalizePolicyText(text), 'utf8').digest('hex');
}

/** The version recorded with every decision: the file's declared version and its content hash. */
export function policyVersion(text: string, policy: Pick<Policy, 'version'>): string {
  return `v${policy.version}-${policyTextHash(text).slice(0, 12)}`;
}

/** Parses `text` (throws PolicyError naming path, value and expectation) and stamps it. */
export function activePolicyFrom(text: string, source: string, now: Date = new Date()): ActivePolicy {
  const policy = parsePolicy(text, source);
  return Object.freeze({
    policy,
    version: policyVersion(text, policy),
    source,
    loadedAt: now.toISOString(),
    text,
  });
}

/** The built-in defaults (POLICY_FILE unset): no write-back; the text is their YAML rendering. */
export function builtinActivePolicy(now: Date = new Date()): ActivePolicy {
  const text = stringify(defaultPolicy);
  return Object.freeze({
    policy: defaultPolicy,
    version: `builtin-${policyVersion(text, defaultPolicy)}`,
    source: BUILTIN_SOURCE,
    loadedAt: now.toISOString(),
    text,
  });
}
