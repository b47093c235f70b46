import type { DetectedException } from '../core/mod.ts';
import { type ActivePolicyRef, type Decision, decide, outcomeKey } from './decide.ts';
import type { CustomerEntry } from './directory/types.ts';

/** One exception state on which two policies disagree (or that only one policy's detector produced). */
export interface PolicyDifference {
  readonly exceptionId: string;
  readonly exceptionVersion: number;
  readonly exceptionType: string;
  readonly customerId?: string;
  readonly a?: DecisionSummary;
  readonly b?: DecisionSummary;
}

export interface DecisionSummary {
  readonly outcome: Decision['outcome'];
  readonly reasonCode: Decision['reasonCode'];
  readonly fields: Decision['fields'];
  readonly approvalSteps: Decision['approvalSteps'];
  readonly autoActions: readonly string[];
  readonly fallback: readonly string[];
}

export interface ComparisonReport {
  readonly policyA: string;
  readonly policyB: string;
  readonly states: number;
  readonly same: number;
  readonly different: number;
  /** States that only one policy's detector produced (its thresholds differ). */
  readonly onlyA: number;
  readonly onlyB: number;
  /** `write/auto_write → held/below_confidence`: how many states changed that way. */
  readonly changes: Readonly<Record<string, number>>;
  /** Field writes (direct or after approval), approvals opened, fallback actions, under each policy. */
  readonly totals: {
    readonly a: { readonly writes: number; readonly approvals: number; readonly fallbacks: number };
    readonly b: { readonly writes: number; readonly approvals: number; readonly fallbacks: number };
  };
  readonly differences: readonly PolicyDifference[];
}

export function summarize(d: Decision): DecisionSummary {
  return {
    outcome: d.outcome,
    reasonCode: d.reasonCode,
    fields: d.fields,
    approvalSteps: d.approvalSteps,
    autoActions: d.autoActions.map((a) => a.kind),
    fallback: d.fallback.map((f) => f.kind),
  };
}

const stateKey = (ex: DetectedException) => `${ex.id}\u0000${ex.version}`;

/**
 * Decides every exception state under policy A and policy B (each over the states its own detector
 * produced) and lists where the outcomes differ, with counts. Pure: replay and shadow mode share it.
 */
export function comparePolicies(opts: {
  readonly a: ActivePolicyRef;
  readonly b: ActivePolicyRef;
  readonly statesA: readonly DetectedException[];
  readonly statesB: readonly DetectedException[];
  readonly customer: (ex: DetectedException, policy: ActivePolicyRef) => CustomerEntry | undefined;
}): ComparisonReport {
  const byKeyB = new Map(opts.statesB.map((ex) => [stateKey(ex), ex]));
  const seen = new Set<string>();
  const differences: PolicyDifference[] = [];
  const changes: Record<string, number> = {};
  const totals = {
    a: { writes: 0, approvals: 0, fallbacks: 0 },
    b: { writes: 0, approvals: 0, fallbacks: 0 },
  };
  const count = (t: (typeof totals)['a'], d: Decision) => {
    if (d.outcome === 'write') t.writes++;
    if (d.outcome === 'approval') t.approvals++;
    if (d.outcome === 'fallback') t.fallbacks++;
  };
  let same = 0;
  let onlyA = 0;
  for (const ex of opts.statesA) {
    const key = stateKey(ex);
    seen.add(key);
    const da = decide(ex, opts.a, opts.customer(ex, opts.a));
    count(totals.a, da);
    const exB = byKeyB.get(key);
    if (!exB) {
      onlyA++;
      differences.push({ ...ids(ex), a: summarize(da) });
      continue;
    }
    const db = decide(exB, opts.b, opts.customer(exB, opts.b));
    count(totals.b, db);
    if (outcomeKey(da) === outcomeKey(db)) {
      same++;
      continue;
    }
    const change = `${da.outcome}/${da.reasonCode} → ${db.outcome}/${db.reasonCode}`;
    changes[change] = (changes[change] ?? 0) + 1;
    differences.push({ ...ids(ex), a: summarize(da), b: summarize(db) });
  }
  let onlyB = 0;
  for (const ex of opts.statesB) {
    if (seen.has(stateKey(ex))) continue;
    onlyB++;
    const db = decide(ex, opts.b, opts.customer(ex, opts.b));
    count(totals.b, db);
    differences.push({ ...ids(ex), b: summarize(db) });
  }
  return {
    policyA: opts.a.version,
    policyB: opts.b.version,
    states: seen.size + onlyB,
    same,
    different: differences.length - onlyA - onlyB,
    onlyA,
    onlyB,
    changes,
    totals,
    differences,
  };
}

function ids(ex: DetectedException) {
  return {
    exceptionId: ex.id,
    exceptionVersion: ex.version,
    exceptionType: ex.type,
    ...(ex.customerId ? { customerId: ex.customerId } : {}),
  };
}
