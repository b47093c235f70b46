import { type JetStreamPublisher, type Logger, RejectError } from '../../core/mod.ts';
import { type Decision, idHash } from '../decide.ts';
import type { CustomerEntry } from '../directory/types.ts';
import type { WritebackMetrics } from '../metrics.ts';
import { type CommandOf, enqueue } from '../pipeline/commands.ts';
import type { ExceptionFacts } from '../pipeline/decision-entry.ts';
import type { DraftRecord } from '../pipeline/effects.ts';
import type { JsonKv } from '../pipeline/json-kv.ts';
import type { WritebackNames } from '../pipeline/names.ts';
import type { ActivityLog, Directory } from '../pipeline/ports.ts';
import { type Approval, approvalId } from './approval.ts';
import {
  type Actor,
  approve,
  conflict,
  createApproval,
  markWriteEnqueued,
  reject,
  sweep,
  withdraw,
} from './machine.ts';
import type { ApprovalStore } from './store.ts';

export type NoticeAbout = 'approval_needed' | 'approval_escalated' | 'approval_expired';

/** Builds the notification command for an approval's current step (who must act, and the text). */
export type Notices = (
  a: Approval,
  customer: CustomerEntry | undefined,
  about: NoticeAbout,
) => CommandOf<'notify'> | undefined;

export interface ApprovalServiceDeps {
  readonly store: ApprovalStore;
  readonly publisher: JetStreamPublisher;
  readonly names: WritebackNames;
  readonly drafts: JsonKv<DraftRecord>;
  readonly directory: Directory;
  readonly log: ActivityLog;
  readonly notices: Notices;
  readonly metrics: WritebackMetrics;
  readonly logger: Logger;
  readonly escalationRole: string;
  readonly now: () => number;
}

/** Settle time before the sweeper finishes an approved write that its approver's request did not enqueue. */
const ENQUEUE_GRACE_MS = 10_000;

/**
 * Approvals as people experience them: created from a decision, decided step by step (one compare-and-set
 * per click, so two people clicking at once make exactly one transition), timed out by the sweeper, withdrawn
 * when the exception resolves, and — once approved — turned into the CRM write and the customer update.
 */
export class ApprovalService {
  constructor(private readonly deps: ApprovalServiceDeps) {}

  /** Creates the approval for a decision (idempotent: a redelivered decision finds it). */
  async open(opts: {
    decision: Decision;
    facts: ExceptionFacts;
    customer: CustomerEntry;
    triggeredBy: string;
    draftId?: string;
    trigger?: number;
  }): Promise<Approval | undefined> {
    const { deps } = this;
    const id = approvalId(idHash(opts.decision.exceptionId), opts.trigger ?? 0);
    const a = createApproval({
      id,
      decision: opts.decision,
      exception: opts.facts,
      customer: opts.customer,
      triggeredBy: opts.triggeredBy,
      ...(opts.draftId ? { draftId: opts.draftId } : {}),
      nowMs: deps.now(),
    });
    if (!(await deps.store.create(a))) return undefined;
    deps.metrics.approvals.inc({ action: 'created' });
    await this.record(a, 'approval_created', opts.triggeredBy, opts.decision.reasonCode, {
      steps: a.steps.map((s) => ({ role: s.role, timeoutMinutes: s.timeoutMinutes })),
      fields: a.fields,
      deadline: a.steps[0]?.deadline ?? null,
    });
    await this.notify(a, 'approval_needed');
    return a;
  }

  /** A person's approve/reject: exactly one attempt at the compare-and-set; losing it is a 409. */
  async decide(
    id: string,
    actor: Actor,
    verdict: 'approve' | 'reject',
    reason: string,
    expectedStep?: number,
  ): Promise<Approval> {
    const { deps } = this;
    const cur = await deps.store.get(id);
    if (!cur)
      throw new RejectError('APPROVAL_NOT_FOUND', `approval ${id} does not exist`, [], { httpStatus: 404 });
    const a = cur.value;
    if (expectedStep !== undefined && a.status === 'pending' && a.current !== expectedStep) {
      throw conflict(
        'APPROVAL_STEP_MOVED',
        `approval ${id} is at step ${a.current + 1} (${a.steps[a.current]?.role}), not step ${expectedStep + 1}`,
      );
    }
    const now = deps.now();
    const next =
      verdict === 'approve'
        ? approve(a, actor, reason, now, deps.escalationRole)
        : reject(a, actor, reason, now, deps.escalationRole);
    if (!(await deps.store.update(next, cur.revision))) {
      const moved = (await deps.store.get(id))?.value;
      const last = moved?.history.at(-1);
      throw conflict(
        'APPROVAL_CONFLICT',
        `approval ${id} changed while you were deciding${last ? ` (${last.action} by ${last.actor} at ${last.at})` : ''}; reload it`,
      );
    }
    const action = verdict === 'approve' ? 'approved' : 'rejected';
    deps.metrics.approvals.inc({ action });
    await this.record(next, `approval_${action}`, actor.userId, action, {
      step: a.current,
      role: a.steps[a.current]?.role ?? null,
      reason,
      status: next.status,
    });
    if (next.status === 'pending') await this.notify(next, 'approval_needed');
    if (next.status === 'approved') return this.finish(next, actor.userId);
    if (next.status === 'rejected') await this.withdrawDraft(next);
    return next;
  }

  /** Puts the approved write (and the approved customer update) on the outbox, then marks it done. */
  private async finish(a: Approval, actor: string): Promise<Approval> {
    const { deps } = this;
    const customer = deps.directory.get(a.customerId);
    const detectedAt = a.detectedAt;
    await enqueue(deps.publisher, deps.names, {
      kind: 'crm_write',
      id: a.writeId,
      exceptionId: a.exceptionId,
      policyVersion: a.policyVersion,
      evidence: a.evidence,
      detectedAt,
      customerId: a.customerId,
      account: {
        ...((customer?.crmAccountId ?? a.crmAccountId)
          ? { id: customer?.crmAccountId ?? a.crmAccountId }
          : {}),
        ...((customer?.crmExternalId ?? a.crmExternalId)
          ? { externalId: customer?.crmExternalId ?? a.crmExternalId }
          : {}),
      },
      fields: a.fields,
      approvalId: a.id,
      actor,
    });
    if (a.draftId) {
      await deps.drafts.mutate(a.draftId, (d) =>
        d && d.status === 'awaiting_approval' ? { ...d, status: 'ready' } : undefined,
      );
      await enqueue(deps.publisher, deps.names, {
        kind: 'customer_update',
        id: `cu-${a.draftId}`,
        exceptionId: a.exceptionId,
        policyVersion: a.policyVersion,
        evidence: a.evidence,
        detectedAt,
        customerId: a.customerId,
        draftId: a.draftId,
        approvalId: a.id,
      });
    }
    for (let i = 0; i < 10; i++) {
      const cur = await deps.store.get(a.id);
      if (!cur || cur.value.writeEnqueued) return cur?.value ?? a;
      const marked = markWriteEnqueued(cur.value, deps.now());
      if (await deps.store.update(marked, cur.revision)) return marked;
    }
    return a;
  }

  /** Timeouts (escalate once, then expire) and approved writes a crash left un-enqueued. */
  async sweep(): Promise<number> {
    const { deps } = this;
    let changed = 0;
    const now = deps.now();
    for (const cached of deps.store.pending()) {
      if (!sweep(cached, now)) continue;
      const cur = await deps.store.get(cached.id);
      const due = cur && sweep(cur.value, now);
      if (!cur || !due) continue;
      if (!(await deps.store.update(due.next, cur.revision))) continue;
      changed++;
      deps.metrics.approvals.inc({ action: due.action });
      await this.record(due.next, `approval_${due.action}`, 'system:sweeper', `step_timeout`, {
        step: cur.value.current,
        role: cur.value.steps[cur.value.current]?.role ?? null,
        deadline: cur.value.steps[cur.value.current]?.deadline ?? null,
      });
      await this.notify(due.next, due.action === 'escalated' ? 'approval_escalated' : 'approval_expired');
      if (due.action === 'expired') await this.withdrawDraft(due.next);
    }
    for (const a of deps.store.list({ status: 'approved', limit: 1_000, offset: 0 }).items) {
      if (a.writeEnqueued || now - Date.parse(a.updatedAt) < ENQUEUE_GRACE_MS) continue;
      await this.finish(a, a.history.findLast((h) => h.action === 'approved')?.actor ?? 'system:sweeper');
      changed++;
    }
    deps.metrics.pendingApprovals.set(deps.store.pending().length);
    return changed;
  }

  /** The exception resolved: every pending approval of it is withdrawn. */
  async withdrawFor(exceptionId: string, reason: string): Promise<number> {
    const { deps } = this;
    let n = 0;
    for (const id of deps.store.idsFor(exceptionId)) {
      const cur = await deps.store.get(id);
      const next = cur && withdraw(cur.value, reason, deps.now());
      if (!cur || !next) continue;
      if (!(await deps.store.update(next, cur.revision))) continue;
      n++;
      deps.metrics.approvals.inc({ action: 'withdrawn' });
      await this.record(next, 'approval_withdrawn', 'system:dispatcher', 'exception_resolved', { reason });
      await this.withdrawDraft(next);
    }
    return n;
  }

  /** How many approvals an exception already has (a manual trigger opens the next one). */
  async triggersOf(exceptionId: string): Promise<Approval[]> {
    const out: Approval[] = [];
    for (const id of await this.deps.store.idsOf(idHash(exceptionId))) {
      const cur = await this.deps.store.get(id);
      if (cur) out.push(cur.value);
    }
    return out;
  }

  private async withdrawDraft(a: Approval): Promise<void> {
    if (!a.draftId) return;
    await this.deps.drafts.mutate(a.draftId, (d) =>
      d && (d.status === 'awaiting_approval' || d.status === 'ready')
        ? { ...d, status: 'withdrawn' }
        : undefined,
    );
  }

  private async notify(a: Approval, about: NoticeAbout): Promise<void> {
    const cmd = this.deps.notices(a, this.deps.directory.get(a.customerId), about);
    if (cmd) await enqueue(this.deps.publisher, this.deps.names, cmd);
  }

  private record(
    a: Approval,
    kind: string,
    actor: string,
    reasonCode: string,
    details: Record<string, unknown>,
  ) {
    return this.deps.log.record({
      kind,
      actor,
      reasonCode,
      policyVersion: a.policyVersion,
      exceptionId: a.exceptionId,
      customerId: a.customerId,
      ref: a.id,
      evidence: a.evidence,
      details,
    });
  }
}
