import { ConfigError, PolicyError, readPolicyText } from '../../core/mod.ts';
import { type JsonValue, type KeyUse, type PolicyKeyRow, policyReport, toJsonValue } from './report.ts';
import { type ActivePolicy, activePolicyFrom } from './version.ts';

/** One problem of a policy file, as `dockside policy check` prints it. */
export interface PolicyProblem {
  readonly path: string;
  readonly value: JsonValue;
  readonly expected: string;
}

export type PolicyCheck =
  | {
      readonly ok: true;
      readonly file: string;
      readonly version: string;
      readonly policyName: string;
      readonly owner?: string;
      readonly keys: readonly PolicyKeyRow[];
      readonly counts: Readonly<Record<KeyUse, number>>;
      readonly errors: readonly PolicyProblem[];
    }
  | { readonly ok: false; readonly file: string; readonly errors: readonly PolicyProblem[] };

/** Reads and checks a policy file: its version and key table, or every problem found. */
export function checkPolicyFile(file: string): PolicyCheck {
  let active: ActivePolicy;
  try {
    active = activePolicyFrom(readPolicyText(file), file);
  } catch (err) {
    return { ok: false, file, errors: problemsOf(err, file) };
  }
  const keys = policyReport(active.policy);
  const counts: Record<KeyUse, number> = { enforced: 0, metadata: 0, not_enforced: 0 };
  for (const k of keys) counts[k.use] += 1;
  return {
    ok: true,
    file,
    version: active.version,
    policyName: active.policy.policy_name,
    ...(active.policy.owner !== undefined ? { owner: active.policy.owner } : {}),
    keys,
    counts,
    errors: [],
  };
}

function problemsOf(err: unknown, file: string): PolicyProblem[] {
  if (err instanceof PolicyError) {
    return err.issues.map((i) => ({ path: i.field, value: toJsonValue(i.value), expected: i.expected }));
  }
  if (err instanceof ConfigError) return [{ path: '', value: file, expected: 'a readable policy file' }];
  throw err;
}

export interface PolicyChange {
  readonly path: string;
  readonly change: 'changed' | 'added' | 'removed';
  readonly a?: JsonValue;
  readonly b?: JsonValue;
  /** What the key drives (from the file that has it; B's when both do). */
  readonly use: KeyUse;
  readonly by: string;
}

export type PolicyDiff =
  | {
      readonly ok: true;
      readonly a: { readonly file: string; readonly version: string };
      readonly b: { readonly file: string; readonly version: string };
      readonly changes: readonly PolicyChange[];
    }
  | { readonly ok: false; readonly errors: readonly (PolicyProblem & { readonly file: string })[] };

/** The keys whose values differ between two policy files, in B's key order, then A's removed keys. */
export function diffPolicyFiles(fileA: string, fileB: string): PolicyDiff {
  const loaded: ActivePolicy[] = [];
  const errors: (PolicyProblem & { file: string })[] = [];
  for (const file of [fileA, fileB]) {
    try {
      loaded.push(activePolicyFrom(readPolicyText(file), file));
    } catch (err) {
      errors.push(...problemsOf(err, file).map((p) => ({ ...p, file })));
    }
  }
  const [a, b] = loaded;
  if (errors.length > 0 || !a || !b) return { ok: false, errors };
  const rowsA = new Map(policyReport(a.policy).map((r) => [r.path, r]));
  const rowsB = policyReport(b.policy);
  const changes: PolicyChange[] = [];
  for (const rb of rowsB) {
    const ra = rowsA.get(rb.path);
    rowsA.delete(rb.path);
    const base = { path: rb.path, use: rb.use, by: rb.by };
    if (!ra) changes.push({ ...base, change: 'added', b: rb.value });
    else if (JSON.stringify(ra.value) !== JSON.stringify(rb.value)) {
      changes.push({ ...base, change: 'changed', a: ra.value, b: rb.value });
    }
  }
  for (const ra of rowsA.values()) {
    changes.push({ path: ra.path, use: ra.use, by: ra.by, change: 'removed', a: ra.value });
  }
  return {
    ok: true,
    a: { file: fileA, version: a.version },
    b: { file: fileB, version: b.version },
    changes,
  };
}
