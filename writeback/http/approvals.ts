import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type AccessPolicy, type Logger, type Principal, parseRequest, RejectError } from '../../core/mod.ts';
import { type Approval, approvalStatuses, currentStep } from '../approvals/approval.ts';
import { canDecide } from '../approvals/machine.ts';
import type { ApprovalService } from '../approvals/service.ts';
import type { ApprovalStore } from '../approvals/store.ts';
import type { CrmAdapter } from '../crm/adapter.ts';
import type { DraftRecord } from '../pipeline/effects.ts';
import type { IndexedKv } from '../pipeline/indexed-kv.ts';
import type { JsonKv } from '../pipeline/json-kv.ts';
import type { PolicySource } from '../pipeline/ports.ts';
import type { WriteState } from '../pipeline/write-state.ts';
import { CurrentValuesReader } from './current-values.ts';
import { canSee } from './scope.ts';
import { rollbackMinutes, writeView } from './writebacks.ts';

export interface ApprovalRouteDeps {
  readonly store: ApprovalStore;
  readonly service: ApprovalService;
  readonly drafts: JsonKv<DraftRecord>;
  readonly access: () => AccessPolicy;
  readonly escalationRole: string;
  readonly now: () => number;
  /** The CRM adapter in force (undefined: off), for the current values of the proposed fields. */
  readonly crm: () => CrmAdapter | undefined;
  /** The write states, so each approval carries its write's state (status, rollback window). */
  readonly writes: IndexedKv<WriteState>;
  /** The policy in force: its rollback window. */
  readonly policy: PolicySource;
  readonly logger?: Logger;
  /** How long current CRM values are reused per account (default 5 s). */
  readonly currentValuesTtlMs?: number;
}

const flag = z.enum(['0', '1', 'true', 'false']).optional();
export const listQuery = z.strictObject({
  /** Pending: those the caller can decide now; other statuses: those they decided or triggered. */
  mine: flag,
  /** Every approval the caller decided a step of or triggered, whatever its status (their history). */
  involved: flag,
  status: z.enum(approvalStatuses).optional(),
  exceptionId: z.string().max(256).optional(),
  customerId: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export const idParam = z.object({
  id: z.string().regex(/^ap-[0-9a-f]+-\d+$/, 'an approval id like ap-<hex>-<n>'),
});
/** Strict: a body naming anything else (fields, values…) is refused before anything happens. */
export const decisionBody = z.strictObject({
  reason: z.string().trim().min(1).max(2_000),
  /** The step the person saw (0-based); a click on a step that has moved on is a 409. */
  step: z.number().int().min(0).max(20).optional(),
});

const on = (v: string | undefined) => v === '1' || v === 'true';

/** The write's state as a list item carries it: enough to show its progress and the rollback button. */
export interface WriteSummary {
  readonly id: string;
  readonly status: WriteState['status'];
  readonly appliedAt: string | null;
  readonly rollbackClosesAt: string | null;
  readonly canRollBack: boolean;
  readonly previous: WriteState['previous'] | null;
  readonly failure?: string;
  readonly heldReason?: string;
  readonly rolledBackAt?: string;
  readonly rolledBackBy?: string;
}

export function writeSummary(
  w: WriteState | undefined,
  minutes: number | undefined,
  nowMs: number,
): WriteSummary | null {
  if (!w) return null;
  const v = writeView(w, minutes, nowMs);
  return {
    id: v.id,
    status: v.status,
    appliedAt: v.appliedAt ?? null,
    rollbackClosesAt: v.rollbackClosesAt,
    canRollBack: v.canRollBack,
    previous: v.previous ?? null,
    ...(v.failure ? { failure: v.failure } : {}),
    ...(v.heldReason ? { heldReason: v.heldReason } : {}),
    ...(v.rolledBackAt ? { rolledBackAt: v.rolledBackAt } : {}),
    ...(v.rolledBackBy ? { rolledBackBy: v.rolledBackBy } : {}),
  };
}

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

/** A numbered source of a customer update draft, as its text lists them (`[n] eventId: type at time`). */
export interface DraftSource {
  readonly n: number;
  readonly eventId: string;
  readonly type: string;
  readonly occurredAt: string;
}

/**
 * The Sources list of a draft's text, so a screen can show each statement's markers beside the events they
 * number. The markers of a statement follow its citations (event ids) in this numbering.
 */
export function draftSources(text: string): DraftSource[] {
  const at = text.lastIndexOf('\n\nSources:\n');
  if (at < 0) return [];
  const out: DraftSource[] = [];
  for (const line of text.slice(at + '\n\nSources:\n'.length).split('\n')) {
    const m = /^\[(\d+)\] (.+): (\S+) at (\S+)$/.exec(line.trim());
    if (m)
      out.push({
        n: Number(m[1]),
        eventId: m[2] as string,
        type: m[3] as string,
        occurredAt: m[4] as string,
      });
  }
  return out;
}

export function registerApprovalRoutes(app: FastifyInstance, deps: ApprovalRouteDeps): void {
  const visible = (p: Principal, a: Approval) => canSee(p, deps.access(), a);
  const current = new CurrentValuesReader({
    crm: deps.crm,
    now: deps.now,
    ...(deps.currentValuesTtlMs !== undefined ? { ttlMs: deps.currentValuesTtlMs } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const withWrite = (a: Approval, p: Principal, now: number, minutes: number | undefined) => ({
    ...approvalView(a, p, deps.escalationRole, now),
    write: writeSummary(deps.writes.cached(a.writeId), minutes, now),
  });

  app.get('/api/approvals', async (req) => {
    const q = parseRequest(listQuery, req.query);
    const p = req.principal;
    const mine = on(q.mine);
    const involved = on(q.involved);
    const actedOn = (a: Approval) =>
      a.triggeredBy === p.userId || a.history.some((h) => h.actor === p.userId);
    const where = (a: Approval) =>
      visible(p, a) &&
      (!involved || actedOn(a)) &&
      (!mine || (a.status === 'pending' ? canDecide(a, p, deps.escalationRole).ok : actedOn(a)));
    const { items, total } = deps.store.list({
      ...(q.status ? { status: q.status } : {}),
      ...(q.exceptionId ? { exceptionId: q.exceptionId } : {}),
      ...(q.customerId ? { customerId: q.customerId } : {}),
      where,
      limit: q.limit,
      offset: q.offset,
    });
    const now = deps.now();
    const minutes = rollbackMinutes(deps.policy);
    return {
      items: items.map((a) => withWrite(a, p, now, minutes)),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  });

  app.get('/api/approvals/:id', async (req) => {
    const { id } = parseRequest(idParam, req.params);
    const a = (await deps.store.get(id))?.value;
    if (!a || !visible(req.principal, a)) throw notFound(id);
    const [draft, write, values] = await Promise.all([
      a.draftId ? deps.drafts.get(a.draftId).then((d) => d?.value) : Promise.resolve(undefined),
      // From KV itself, not the index: a screen polls this while the write is on its way.
      deps.writes.kv.get(a.writeId).then((w) => w?.value),
      current.read(
        {
          ...(a.crmAccountId ? { id: a.crmAccountId } : {}),
          ...(a.crmExternalId ? { externalId: a.crmExternalId } : {}),
        },
        a.fields.map((f) => f.name),
      ),
    ]);
    const fieldNames = new Set(a.fields.map((f) => f.name));
    const now = deps.now();
    return {
      ...approvalView(a, req.principal, deps.escalationRole, now),
      write: writeSummary(write, rollbackMinutes(deps.policy), now),
      currentValues: values.currentValues
        ? Object.fromEntries(Object.entries(values.currentValues).filter(([k]) => fieldNames.has(k)))
        : null,
      currentValuesAt: values.currentValuesAt,
      ...(values.currentValuesError ? { currentValuesError: values.currentValuesError } : {}),
      draft: draft ? { ...draft, sources: draftSources(draft.text) } : null,
    };
  });

  for (const verdict of ['approve', 'reject'] as const) {
    app.post(`/api/approvals/:id/${verdict}`, async (req) => {
      const { id } = parseRequest(idParam, req.params);
      const body = parseRequest(decisionBody, req.body ?? {});
      // Object-level refusals (another owner's account, another region) are 403s from the approval rules.
      const next = await deps.service.decide(id, req.principal, verdict, body.reason, body.step);
      const now = deps.now();
      return withWrite(next, req.principal, now, rollbackMinutes(deps.policy));
    });
  }
}

export function notFound(id: string): RejectError {
  return new RejectError('APPROVAL_NOT_FOUND', `approval ${id} does not exist or is not yours to see`, [], {
    httpStatus: 404,
  });
}
