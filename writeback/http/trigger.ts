import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type DetectedException, parseRequest, RejectError } from '../../core/mod.ts';
import type { ApprovalService } from '../approvals/service.ts';
import { type Decision, decide } from '../decide.ts';
import { factsOf } from '../pipeline/decision-entry.ts';
import type { ActivityLog, Directory, PolicySource } from '../pipeline/ports.ts';

export interface TriggerRouteDeps {
  readonly getException: (id: string) => Promise<DetectedException | undefined>;
  readonly approvals: ApprovalService;
  readonly directory: Directory;
  readonly policy: PolicySource;
  readonly log: ActivityLog;
}

export const idParam = z.object({ id: z.string().min(1).max(256) });
export const body = z.strictObject({ reason: z.string().trim().min(1).max(2_000) });
/** When the rule names no steps, a person's trigger still needs the account's owner. */
const DEFAULT_STEPS = [{ role: 'account_owner', timeoutMinutes: 60 }] as const;
const conflict = (code: string, message: string) => new RejectError(code, message, [], { httpStatus: 409 });

/**
 * `POST /api/exceptions/:id/writeback`: a person who may trigger automation sends the policy's proposal
 * for an exception that the policy held (e.g. below the confidence gate) to approval. The proposal is
 * always the policy's own fields (a body naming fields is refused); residency still applies; the person who
 * triggered it can never approve it.
 */
export function registerTriggerRoute(app: FastifyInstance, deps: TriggerRouteDeps): void {
  app.post('/api/exceptions/:id/writeback', async (req, reply) => {
    const { id } = parseRequest(idParam, req.params);
    const { reason } = parseRequest(body, req.body ?? {});
    const ex = await deps.getException(id);
    if (!ex)
      throw new RejectError('EXCEPTION_NOT_FOUND', `exception ${id} does not exist`, [], { httpStatus: 404 });
    const active = deps.policy();
    const customer = ex.customerId ? deps.directory.get(ex.customerId) : undefined;
    const d = decide(ex, active, customer);
    if (d.outcome === 'approval' || d.outcome === 'write') {
      throw conflict('ALREADY_AUTOMATED', `the policy already handles ${id}: ${d.reason}`);
    }
    if (
      d.outcome !== 'held' ||
      d.reasonCode !== 'below_confidence' ||
      !customer ||
      !d.writeId ||
      d.fields.length === 0
    ) {
      throw conflict('NOTHING_TO_TRIGGER', `nothing to send to approval for ${id}: ${d.reason}`);
    }
    const previous = await deps.approvals.triggersOf(id);
    const open = previous.find((a) => a.status === 'pending' || a.status === 'approved');
    if (open) throw conflict('APPROVAL_EXISTS', `approval ${open.id} for ${id} is already ${open.status}`);
    const steps = d.approvalSteps.length > 0 ? d.approvalSteps : DEFAULT_STEPS;
    const triggered: Decision = {
      ...d,
      outcome: 'approval',
      reasonCode: 'manual_trigger',
      reason: `${req.principal.name} sent it to approval: ${reason} (${d.reason})`,
      approvalSteps: steps,
    };
    await deps.log.record({
      kind: 'decision',
      actor: req.principal.userId,
      reasonCode: 'manual_trigger',
      policyVersion: active.version,
      exceptionId: ex.id,
      ...(ex.customerId ? { customerId: ex.customerId } : {}),
      ref: d.writeId,
      evidence: ex.evidence,
      details: { decision: triggered, exception: factsOf(ex), reason },
    });
    const a = await deps.approvals.open({
      decision: triggered,
      facts: factsOf(ex),
      customer,
      triggeredBy: req.principal.userId,
      trigger: previous.length + 1,
    });
    if (!a) throw conflict('APPROVAL_EXISTS', `an approval for ${id} was opened meanwhile`);
    return reply.code(201).send(a);
  });
}
