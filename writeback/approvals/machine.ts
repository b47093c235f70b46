import { RejectError } from '../../core/mod.ts';
import type { Decision } from '../decide.ts';
import type { CustomerEntry } from '../directory/types.ts';
import { type Approval, type ApprovalAction, currentStep, type StepState } from './approval.ts';

/** Who acts on an approval (the authenticated principal, as far as approvals need it). */
export interface Actor {
  readonly userId: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly regions: readonly string[];
}

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

export const forbidden = (code: string, message: string) =>
  new RejectError(code, message, [], { httpStatus: 403 });
export const conflict = (code: string, message: string) =>
  new RejectError(code, message, [], { httpStatus: 409 });

/** A new approval for a decision whose outcome is `approval`: the first step is pending from now. */
export function createApproval(opts: {
  id: string;
  decision: Decision;
  exception: { shipmentId?: string; customerTier?: string; evidence: readonly string[]; detectedAt: string };
  customer: CustomerEntry;
  triggeredBy: string;
  draftId?: string;
  nowMs: number;
}): Approval {
  const { decision: d, customer: c, nowMs } = opts;
  if (!d.writeId || d.approvalSteps.length === 0) {
    throw new Error(`decision for ${d.exceptionId} has no approval steps`);
  }
  const steps: StepState[] = d.approvalSteps.map((s, i) => ({
    role: s.role,
    timeoutMinutes: s.timeoutMinutes,
    status: i === 0 ? 'pending' : 'waiting',
    escalated: false,
    ...(i === 0 ? { startedAt: iso(nowMs), deadline: iso(nowMs + s.timeoutMinutes * MINUTE) } : {}),
  }));
  return {
    id: opts.id,
    exceptionId: d.exceptionId,
    exceptionVersion: d.exceptionVersion,
    exceptionType: d.exceptionType,
    ...(opts.exception.shipmentId ? { shipmentId: opts.exception.shipmentId } : {}),
    customerId: c.customerId,
    ...(opts.exception.customerTier ? { customerTier: opts.exception.customerTier } : {}),
    ...(c.crmAccountId ? { crmAccountId: c.crmAccountId } : {}),
    ...(c.crmExternalId ? { crmExternalId: c.crmExternalId } : {}),
    region: c.region,
    ownerUserId: c.ownerUserId,
    confidence: d.confidence,
    evidence: [...opts.exception.evidence],
    detectedAt: opts.exception.detectedAt,
    fields: d.fields.map((f) => ({ ...f })),
    writeId: d.writeId,
    ...(opts.draftId ? { draftId: opts.draftId } : {}),
    steps,
    current: 0,
    status: 'pending',
    triggeredBy: opts.triggeredBy,
    reasonCode: d.reasonCode,
    policyVersion: d.policyVersion,
    createdAt: iso(nowMs),
    updatedAt: iso(nowMs),
    writeEnqueued: false,
    history: [{ at: iso(nowMs), actor: opts.triggeredBy, action: 'created' }],
  };
}

/**
 * Whether `actor` may decide the current step, or why not. Rules: the step's role (or, once the step has
 * escalated, the escalation role); an account owner only for their own accounts, a RevOps manager only for
 * their regions; never the person who triggered it; and one person decides at most one step of an approval.
 */
export function canDecide(
  a: Approval,
  actor: Actor,
  escalationRole: string,
): { ok: true; as: string } | { ok: false; code: string; why: string } {
  const step = currentStep(a);
  if (!step) return { ok: false, code: 'APPROVAL_NOT_PENDING', why: `approval ${a.id} is ${a.status}` };
  if (a.triggeredBy === actor.userId) {
    return {
      ok: false,
      code: 'SELF_APPROVAL',
      why: `${actor.userId} triggered this write-back and cannot approve it`,
    };
  }
  const decidedEarlier = a.steps.find((s, i) => i < a.current && s.by?.userId === actor.userId);
  if (decidedEarlier) {
    return {
      ok: false,
      code: 'SAME_APPROVER',
      why: `${actor.userId} already approved the ${decidedEarlier.role} step; each step needs a different person`,
    };
  }
  if (actor.roles.includes(step.role)) {
    const object = objectCheck(step.role, a, actor);
    if (object) return { ok: false, code: 'NOT_YOUR_ACCOUNT', why: object };
    return { ok: true, as: step.role };
  }
  if (step.escalated && actor.roles.includes(escalationRole)) return { ok: true, as: escalationRole };
  return {
    ok: false,
    code: 'WRONG_ROLE',
    why: `step ${a.current + 1} of ${a.id} waits for ${step.role}${step.escalated ? ` or ${escalationRole}` : ''}; ${actor.userId} has ${actor.roles.join(', ') || 'no roles'}`,
  };
}

function objectCheck(role: string, a: Approval, actor: Actor): string | undefined {
  if (role === 'account_owner' && a.ownerUserId !== actor.userId) {
    return `customer ${a.customerId} is owned by another account owner`;
  }
  if (role === 'revops_manager' && !actor.regions.includes('*') && !actor.regions.includes(a.region)) {
    return `customer ${a.customerId} is in region ${a.region}, outside ${actor.userId}'s regions (${actor.regions.join(', ') || 'none'})`;
  }
  return undefined;
}

function withHistory(
  a: Approval,
  nowMs: number,
  actor: string,
  action: ApprovalAction,
  extra: { step?: number; reason?: string } = {},
): Approval['history'] {
  return [...a.history, { at: iso(nowMs), actor, action, ...extra }];
}

/** Approves the current step; the last step approves the whole approval. Throws 403/409 with the reason. */
export function approve(
  a: Approval,
  actor: Actor,
  reason: string,
  nowMs: number,
  escalationRole: string,
): Approval {
  const check = canDecide(a, actor, escalationRole);
  if (!check.ok) throw (check.code === 'APPROVAL_NOT_PENDING' ? conflict : forbidden)(check.code, check.why);
  const steps = a.steps.map((s, i) => {
    if (i === a.current) {
      return {
        ...s,
        status: 'approved' as const,
        by: { userId: actor.userId, name: actor.name },
        at: iso(nowMs),
        reason,
      };
    }
    if (i === a.current + 1) {
      return {
        ...s,
        status: 'pending' as const,
        startedAt: iso(nowMs),
        deadline: iso(nowMs + s.timeoutMinutes * MINUTE),
      };
    }
    return s;
  });
  const last = a.current === a.steps.length - 1;
  return {
    ...a,
    steps,
    current: last ? a.current : a.current + 1,
    status: last ? 'approved' : 'pending',
    updatedAt: iso(nowMs),
    history: withHistory(a, nowMs, actor.userId, 'approved', { step: a.current, reason }),
  };
}

/** Rejects at the current step: nothing is written. */
export function reject(
  a: Approval,
  actor: Actor,
  reason: string,
  nowMs: number,
  escalationRole: string,
): Approval {
  const check = canDecide(a, actor, escalationRole);
  if (!check.ok) throw (check.code === 'APPROVAL_NOT_PENDING' ? conflict : forbidden)(check.code, check.why);
  return {
    ...a,
    steps: a.steps.map((s, i) =>
      i === a.current
        ? {
            ...s,
            status: 'rejected' as const,
            by: { userId: actor.userId, name: actor.name },
            at: iso(nowMs),
            reason,
          }
        : s,
    ),
    status: 'rejected',
    updatedAt: iso(nowMs),
    history: withHistory(a, nowMs, actor.userId, 'rejected', { step: a.current, reason }),
  };
}

/**
 * Timeouts: a step past its deadline escalates once (its deadline moves by its timeout again and the
 * escalation role may act too); past the second deadline the approval expires and nothing is written.
 * Returns undefined when nothing is due.
 */
export function sweep(
  a: Approval,
  nowMs: number,
): { next: Approval; action: 'escalated' | 'expired' } | undefined {
  const step = currentStep(a);
  if (!step?.deadline || Date.parse(step.deadline) > nowMs) return undefined;
  if (!step.escalated) {
    const next: Approval = {
      ...a,
      steps: a.steps.map((s, i) =>
        i === a.current ? { ...s, escalated: true, deadline: iso(nowMs + s.timeoutMinutes * MINUTE) } : s,
      ),
      updatedAt: iso(nowMs),
      history: withHistory(a, nowMs, 'system:sweeper', 'escalated', {
        step: a.current,
        reason: 'step timed out',
      }),
    };
    return { next, action: 'escalated' };
  }
  const next: Approval = {
    ...a,
    steps: a.steps.map((s, i) =>
      i === a.current ? { ...s, status: 'expired' as const, at: iso(nowMs) } : s,
    ),
    status: 'expired',
    updatedAt: iso(nowMs),
    history: withHistory(a, nowMs, 'system:sweeper', 'expired', {
      step: a.current,
      reason: 'step timed out twice (after escalation)',
    }),
  };
  return { next, action: 'expired' };
}

/** The exception was resolved (or retracted) before the approval finished. */
export function withdraw(a: Approval, reason: string, nowMs: number): Approval | undefined {
  if (a.status !== 'pending') return undefined;
  return {
    ...a,
    status: 'withdrawn',
    updatedAt: iso(nowMs),
    history: withHistory(a, nowMs, 'system:dispatcher', 'withdrawn', { reason }),
  };
}

export function markWriteEnqueued(a: Approval, nowMs: number): Approval {
  return {
    ...a,
    writeEnqueued: true,
    updatedAt: iso(nowMs),
    history: withHistory(a, nowMs, 'system:approvals', 'write_enqueued'),
  };
}
