import { createHash } from 'node:crypto';
import type { DetectedException, Policy } from '../core/mod.ts';
import type { CustomerEntry } from './directory/types.ts';

export interface FieldChange {
  readonly name: string;
  readonly value: string | number | boolean;
}

export interface ApprovalStep {
  readonly role: string;
  readonly timeoutMinutes: number;
}

/** Auto actions the policy lists per tier; anything else is recorded as unknown and never executed. */
export interface AutoAction {
  readonly kind: 'create_crm_task' | 'draft_customer_update';
  readonly actionId: string;
}

export interface FallbackAction {
  readonly kind: string;
  readonly actionId: string;
  /** The policy entry's other keys (for open_jira_ticket: project, severity). */
  readonly params: Readonly<Record<string, string | number | boolean>>;
}

export const reasonCodes = [
  'approval_required',
  'auto_write',
  'below_confidence',
  'region_not_allowed',
  'customer_unknown',
  'no_rule',
  'not_allowed',
  'exception_resolved',
  'manual_trigger',
  'decision_logging_off',
] as const;
export type ReasonCode = (typeof reasonCodes)[number];

/**
 * approval: proposed fields wait for the approval steps (auto actions run now); write: fields are written
 * now; held: nothing is written (the proposal is kept for a person to trigger); fallback: no write-back, the
 * policy's fallback actions run; none: the policy has nothing to do; withdraw: pending approvals are withdrawn.
 */
export type Outcome = 'approval' | 'write' | 'held' | 'fallback' | 'none' | 'withdraw';

/** What the policy says to do with one exception state, before anything touches a CRM. */
export interface Decision {
  readonly exceptionId: string;
  readonly exceptionVersion: number;
  readonly exceptionType: string;
  readonly customerId?: string;
  readonly outcome: Outcome;
  readonly reasonCode: ReasonCode;
  /** One sentence a person reads in the log and the inbox. */
  readonly reason: string;
  readonly policyVersion: string;
  /** The policy path of the rule that applied, e.g. thresholds.late_scan.customer_tiers.tier1.writeback. */
  readonly rule?: string;
  readonly confidence: number;
  readonly confidenceMin?: number;
  /** Proposed (held, approval) or to be written (write). */
  readonly fields: readonly FieldChange[];
  readonly approvalSteps: readonly ApprovalStep[];
  readonly autoActions: readonly AutoAction[];
  readonly fallback: readonly FallbackAction[];
  /** Auto actions the policy names that Dockside does not know (recorded, never executed). */
  readonly unknownActions: readonly string[];
  /** Deterministic: the same exception and fields always give the same write (a replay cannot write twice). */
  readonly writeId?: string;
}

export interface ActivePolicyRef {
  readonly policy: Policy;
  readonly version: string;
}

const knownAutoActions = new Set<string>(['create_crm_task', 'draft_customer_update']);

/** Short stable hash for ids (sha256, base36-ish hex prefix). */
export function idHash(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 20);
}

export const actionId = (exceptionId: string, kind: string, extra = '') =>
  `ac-${idHash(exceptionId, kind, extra)}`;
export const writeIdOf = (exceptionId: string, fields: readonly FieldChange[]) =>
  `wr-${idHash(exceptionId, ...fields.map((f) => `${f.name}=${String(f.value)}`))}`;

interface RuleRef {
  readonly path: string;
  readonly rule: NonNullable<NonNullable<Policy['thresholds'][string]>['writeback']>;
  readonly autoActions: readonly string[];
}

/** The tier's rule when the policy has one for the exception's customer tier, else the type's own. */
export function ruleFor(
  policy: Policy,
  ex: Pick<DetectedException, 'type' | 'customerTier'>,
): RuleRef | undefined {
  const byType = policy.thresholds[ex.type];
  const tierRule = ex.customerTier ? byType?.customer_tiers?.[ex.customerTier] : undefined;
  const base = `thresholds.${ex.type}`;
  if (tierRule?.writeback) {
    return {
      path: `${base}.customer_tiers.${ex.customerTier}.writeback`,
      rule: tierRule.writeback,
      autoActions: (tierRule.auto_actions ?? []).map((a) => a.action),
    };
  }
  if (byType?.writeback) {
    return { path: `${base}.writeback`, rule: byType.writeback, autoActions: [] };
  }
  return undefined;
}

/**
 * Applies the policy to an exception state and the customer's directory entry. Pure: the same inputs always
 * give the same decision, which is what the decision log records. Checks, in order: a resolved exception
 * withdraws; no rule; a rule that forbids write-back runs its fallback; the customer must be known and in
 * one of the policy's regions (data residency); the confidence gate; then approval steps or a direct write.
 */
export function decide(
  ex: DetectedException,
  active: ActivePolicyRef,
  customer: CustomerEntry | undefined,
): Decision {
  const base = {
    exceptionId: ex.id,
    exceptionVersion: ex.version,
    exceptionType: ex.type,
    ...(ex.customerId ? { customerId: ex.customerId } : {}),
    policyVersion: active.version,
    confidence: ex.confidence,
    fields: [] as FieldChange[],
    approvalSteps: [] as ApprovalStep[],
    autoActions: [] as AutoAction[],
    fallback: [] as FallbackAction[],
    unknownActions: [] as string[],
  };
  if (ex.status === 'resolved') {
    return {
      ...base,
      outcome: 'withdraw',
      reasonCode: 'exception_resolved',
      reason: `the exception is resolved${ex.resolution ? ` (${ex.resolution})` : ''}: pending approvals are withdrawn`,
    };
  }
  const ref = ruleFor(active.policy, ex);
  if (!ref) {
    return {
      ...base,
      outcome: 'none',
      reasonCode: 'no_rule',
      reason: `the policy has no write-back rule for ${ex.type}${ex.customerTier ? ` / ${ex.customerTier}` : ''}`,
    };
  }
  const { rule } = ref;
  if (!rule.allowed) {
    const fallback = (rule.fallback ?? []).map(({ action, ...params }) => ({
      kind: action,
      actionId: actionId(ex.id, action, JSON.stringify(params)),
      params: scalarParams(params),
    }));
    return {
      ...base,
      rule: ref.path,
      outcome: fallback.length > 0 ? 'fallback' : 'none',
      reasonCode: 'not_allowed',
      reason: `${ref.path} does not allow write-back${fallback.length ? `; fallback: ${fallback.map((f) => f.kind).join(', ')}` : ''}`,
      fallback,
    };
  }
  const fields = (rule.fields ?? []).map((f) => ({ name: f.name, value: f.value }));
  const steps = (rule.approval_steps ?? []).map((s) => ({ role: s.step, timeoutMinutes: s.timeout_minutes }));
  const min = rule.confidence_min ?? 0;
  const proposal = {
    ...base,
    rule: ref.path,
    fields,
    approvalSteps: steps,
    confidenceMin: min,
    writeId: writeIdOf(ex.id, fields),
  };
  if (active.policy.logging?.decision_logging === false) {
    // Governance first: without a decision log nothing may reach a CRM.
    return {
      ...proposal,
      outcome: 'held',
      reasonCode: 'decision_logging_off',
      reason:
        'the policy turns decision logging off (logging.decision_logging: false): nothing is written without a record',
    };
  }
  if (!ex.customerId || !customer) {
    return {
      ...proposal,
      outcome: 'held',
      reasonCode: 'customer_unknown',
      reason: ex.customerId
        ? `customer ${ex.customerId} is not in the customer directory: no CRM account to write to`
        : 'the exception names no customer: no CRM account to write to',
    };
  }
  const regions = active.policy.regions ?? [];
  if (regions.length > 0 && !regions.includes(customer.region)) {
    return {
      ...proposal,
      outcome: 'held',
      reasonCode: 'region_not_allowed',
      reason: `customer ${customer.customerId} is in region ${customer.region}; the policy allows write-back only in ${regions.join(', ')}`,
    };
  }
  if (ex.confidence < min) {
    // Below the gate nothing is written automatically. A rule that writes without approval but names steps
    // sends the proposal to those steps instead; a rule that always needs approval holds it (no flood of
    // low-confidence proposals in approvers' inboxes).
    const toApproval = !rule.approval_required && steps.length > 0;
    return {
      ...proposal,
      outcome: toApproval ? 'approval' : 'held',
      reasonCode: 'below_confidence',
      reason: `confidence ${ex.confidence} is below confidence_min ${min}${toApproval ? ': sent to approval' : ''}`,
    };
  }
  const autoActions: AutoAction[] = [];
  const unknownActions: string[] = [];
  for (const a of ref.autoActions) {
    if (knownAutoActions.has(a)) {
      autoActions.push({ kind: a as AutoAction['kind'], actionId: actionId(ex.id, a) });
    } else unknownActions.push(a);
  }
  const needsApproval = rule.approval_required === true && steps.length > 0;
  return {
    ...proposal,
    approvalSteps: needsApproval ? steps : [],
    autoActions,
    unknownActions,
    outcome: needsApproval ? 'approval' : 'write',
    reasonCode: needsApproval ? 'approval_required' : 'auto_write',
    reason: needsApproval
      ? `confidence ${ex.confidence} ≥ ${min}; ${fields.map((f) => `${f.name}=${String(f.value)}`).join(', ')} awaits ${steps.map((s) => s.role).join(' then ')}`
      : `confidence ${ex.confidence} ≥ ${min}; ${fields.map((f) => `${f.name}=${String(f.value)}`).join(', ')} is written without approval`,
  };
}

function scalarParams(params: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

/** The outcome as compared by shadow mode: what would be written, approved, run. */
export function outcomeKey(d: Decision): string {
  return JSON.stringify([
    d.outcome,
    d.reasonCode,
    d.fields.map((f) => [f.name, f.value]),
    d.approvalSteps.map((s) => [s.role, s.timeoutMinutes]),
    d.autoActions.map((a) => a.kind),
    d.fallback.map((f) => [f.kind, f.params]),
  ]);
}

/** Every field name any write-back rule of the policy lists: the only fields Dockside ever writes. */
export function writableFields(policy: Policy): ReadonlySet<string> {
  const names = new Set<string>();
  for (const t of Object.values(policy.thresholds)) {
    for (const f of t?.writeback?.fields ?? []) names.add(f.name);
    for (const tier of Object.values(t?.customer_tiers ?? {})) {
      for (const f of tier?.writeback?.fields ?? []) names.add(f.name);
    }
  }
  return names;
}
