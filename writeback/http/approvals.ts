import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AccessPolicy, type Principal, parseRequest, RejectError } from '../../core/mod.ts';
import { type Approval, approvalStatuses, currentStep } from '../approvals/approval.ts';
import { canDecide } from '../approvals/machine.ts';
import type { ApprovalService } from '../approvals/service.ts';
import type { ApprovalStore } from '../approvals/store.ts';
import type { DraftRecord } from '../pipeline/effects.ts';
import type { JsonKv } from '../pipeline/json-kv.ts';
import { canSee } from './scope.ts';

export interface ApprovalRouteDeps {
  readonly store: ApprovalStore;
  readonly service: ApprovalService;
  readonly drafts: JsonKv<DraftRecord>;
  readonly access: () => AccessPolicy;
  readonly escalationRole: string;
  readonly now: () => number;
}

const listQuery = z.strictObject({
  mine: z.enum(['0', '1', 'true', 'false']).optional(),
  status: z.enum(approvalStatuses).optional(),
  exceptionId: z.string().max(256).optional(),
  customerId: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const idParam = z.object({ id: z.string().regex(/^ap-[0-9a-f]+-\d+$/, 'an approval id like ap-<hex>-<n>') });
/** Strict: a body naming anything else (fields, values…) is refused before anything happens. */
const decisionBody = z.strictObject({
  reason: z.string().trim().min(1).max(2_000),
  /** The step the person saw (0-based); a click on a step that has moved on is a 409. */
  step: z.number().int().min(0).max(20).optional(),
});

/** An approval as the inbox shows it: the record plus what it waits for, for whom, and until when. */
export function approvalView(a: Approval, p: Principal, escalationRole: string, nowMs: number) {
  const step = currentStep(a);
  const check = canDecide(a, p, escalationRole);
  return {
    ...a,
    waitingFor: step
      ? {
          step: a.current,
          role: step.role,
          deadline: step.deadline ?? null,
          escalated: step.escalated,
          secondsLeft: step.deadline ? Math.round((Date.parse(step.deadline) - nowMs) / 1000) : null,
        }
      : null,
    canDecide: check.ok,
    ...(check.ok ? {} : { cannotDecide: check.why }),
  };
}

export function registerApprovalRoutes(app: FastifyInstance, deps: ApprovalRouteDeps): void {
  const visible = (p: Principal, a: Approval) => canSee(p, deps.access(), a);

  app.get('/api/approvals', async (req) => {
    const q = parseRequest(listQuery, req.query);
    const p = req.principal;
    const mine = q.mine === '1' || q.mine === 'true';
    const where = (a: Approval) =>
      visible(p, a) &&
      (!mine ||
        (a.status === 'pending'
          ? canDecide(a, p, deps.escalationRole).ok
          : a.triggeredBy === p.userId || a.history.some((h) => h.actor === p.userId)));
    const { items, total } = deps.store.list({
      ...(q.status ? { status: q.status } : {}),
      ...(q.exceptionId ? { exceptionId: q.exceptionId } : {}),
      ...(q.customerId ? { customerId: q.customerId } : {}),
      where,
      limit: q.limit,
      offset: q.offset,
    });
    const now = deps.now();
    return {
      items: items.map((a) => approvalView(a, p, deps.escalationRole, now)),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  });

  app.get('/api/approvals/:id', async (req) => {
    const { id } = parseRequest(idParam, req.params);
    const a = (await deps.store.get(id))?.value;
    if (!a || !visible(req.principal, a)) throw notFound(id);
    const draft = a.draftId ? (await deps.drafts.get(a.draftId))?.value : undefined;
    return { ...approvalView(a, req.principal, deps.escalationRole, deps.now()), draft: draft ?? null };
  });

  for (const verdict of ['approve', 'reject'] as const) {
    app.post(`/api/approvals/:id/${verdict}`, async (req) => {
      const { id } = parseRequest(idParam, req.params);
      const body = parseRequest(decisionBody, req.body ?? {});
      // Object-level refusals (another owner's account, another region) are 403s from the approval rules.
      const next = await deps.service.decide(id, req.principal, verdict, body.reason, body.step);
      return approvalView(next, req.principal, deps.escalationRole, deps.now());
    });
  }
}

export function notFound(id: string): RejectError {
  return new RejectError('APPROVAL_NOT_FOUND', `approval ${id} does not exist or is not yours to see`, [], {
    httpStatus: 404,
  });
}
