import type { DetectedException, Policy } from '../core/mod.ts';

export interface FieldChange {
  readonly name: string;
  readonly value: string | number | boolean;
}

export interface ApprovalStep {
  readonly role: string;
  readonly timeoutMinutes: number;
}

/** What the policy says to do with one exception, before anything touches a CRM. */
export type Decision =
  | { readonly kind: 'no_rule'; readonly reason: string }
  | {
      readonly kind: 'not_allowed';
      readonly reason: string;
      readonly fallback: readonly Record<string, unknown>[];
    }
  | {
      readonly kind: 'below_confidence';
      readonly reason: string;
      readonly confidence: number;
      readonly min: number;
    }
  | {
      readonly kind: 'write';
      readonly fields: readonly FieldChange[];
      readonly approvals: readonly ApprovalStep[];
      readonly autoActions: readonly string[];
    };

/**
 * Applies `thresholds.<type>` of the policy to an exception: the tier's rule when the policy has one
 * for the exception's customer tier, else the type's own `writeback`. Pure: the same inputs always
 * give the same decision, which is what the decision log records.
 */
export function decideWriteback(policy: Policy, ex: DetectedException): Decision {
  const byType = policy.thresholds[ex.type];
  const tierRule = ex.customerTier ? byType?.customer_tiers?.[ex.customerTier] : undefined;
  const rule = tierRule?.writeback ?? byType?.writeback;
  if (!rule) {
    return {
      kind: 'no_rule',
      reason: `policy has no writeback rule for ${ex.type}${ex.customerTier ? ` / ${ex.customerTier}` : ''}`,
    };
  }
  if (!rule.allowed) {
    return {
      kind: 'not_allowed',
      reason: `writeback is not allowed for ${ex.type}`,
      fallback: rule.fallback ?? [],
    };
  }
  const min = rule.confidence_min ?? 0;
  if (ex.confidence < min) {
    return {
      kind: 'below_confidence',
      reason: `confidence ${ex.confidence} is below confidence_min ${min}`,
      confidence: ex.confidence,
      min,
    };
  }
  return {
    kind: 'write',
    fields: (rule.fields ?? []).map((f) => ({ name: f.name, value: f.value })),
    approvals: rule.approval_required
      ? (rule.approval_steps ?? []).map((s) => ({ role: s.step, timeoutMinutes: s.timeout_minutes }))
      : [],
    autoActions: (tierRule?.auto_actions ?? []).map((a) => a.action),
  };
}
