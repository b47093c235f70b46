import type { JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import {
  ack,
  type CanonicalEvent,
  type ConsumeDeps,
  consumeDurable,
  ensureDurable,
  type JetStreamPublisher,
  type Logger,
  type Outcome,
  type Running,
} from '../../core/mod.ts';
import type { ApprovalService } from '../approvals/service.ts';
import type { CustomerEntry } from '../directory/types.ts';
import { enqueue } from './commands.ts';
import { type DecisionDetails, decisionDetailsSchema } from './decision-entry.ts';
import type { DraftRecord } from './effects.ts';
import type { JsonKv } from './json-kv.ts';
import type { WritebackNames } from './names.ts';
import type { ActivityLog, Directory, EvidenceSource, PolicySource } from './ports.ts';
import { jiraIssueText, taskText } from './texts.ts';

/** A block of the decision chain as the dispatcher reads it (the audit module owns the full shape). */
const blockSchema = z.looseObject({
  entries: z.array(z.looseObject({ kind: z.string(), seq: z.number(), details: z.string() })),
});
const outcomeOnly = z.object({ decision: z.object({ outcome: z.string() }) });
const outcomeOf = (raw: unknown) => outcomeOnly.safeParse(raw).data?.decision.outcome;

/** A customer update draft built from the exception and its evidence (notify/draft.ts), with its inputs. */
export type DraftBuilder = (
  details: DecisionDetails,
  events: Awaited<ReturnType<EvidenceSource['events']>>,
  opts: { piiRedaction: boolean; requireCitations: boolean; nowMs: number },
) =>
  | { record: DraftRecord; inputs: Record<string, unknown>; redactions: Record<string, unknown> }
  | undefined;

export interface DispatcherDeps extends ConsumeDeps {
  readonly publisher: JetStreamPublisher;
  readonly jsm: JetStreamManager;
  readonly names: WritebackNames;
  readonly auditStream: string;
  readonly decisionSubject: (partition: number) => string;
  readonly approvals: ApprovalService;
  readonly drafts: JsonKv<DraftRecord>;
  readonly directory: Directory;
  readonly evidence: EvidenceSource;
  readonly buildDraft: DraftBuilder;
  readonly log: ActivityLog;
  readonly policy: PolicySource;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Decision → actions, for one partition: a durable consumer of the partition's decision chain with one
 * message in flight (blocks in log order), so a decision's actions follow the decision and an exception's
 * later states act after its earlier ones. Every action is idempotent (approval create-if-absent, outbox
 * message ids, draft create-if-absent), so a block redelivered after a crash repeats nothing.
 */
export async function startDispatcher(partition: number, deps: DispatcherDeps): Promise<Running> {
  const durable = deps.names.dispatchConsumer(partition);
  await ensureDurable(deps.jsm, deps.auditStream, durable, {
    filter: deps.decisionSubject(partition),
    maxAckPending: 1,
    ackWaitMs: 120_000,
  });
  return consumeDurable(deps, deps.auditStream, durable, (msg) => dispatchBlock(msg, deps));
}

/** Exceptions of one block whose actions run at once (each exception's own decisions stay in order). */
const CONCURRENCY = 64;

async function dispatchBlock(msg: JsMsg, deps: DispatcherDeps): Promise<Outcome> {
  const block = blockSchema.safeParse(msg.json());
  if (!block.success)
    return {
      kind: 'term',
      code: 'DECISION_BLOCK_INVALID',
      reason: `not a decision block: ${block.error.message}`,
    };
  const decisions: DecisionDetails[] = [];
  for (const entry of block.data.entries) {
    if (entry.kind !== 'decision') continue;
    const raw: unknown = JSON.parse(entry.details);
    // Held and rule-less decisions have no actions (and are logged without the facts actions need).
    if (outcomeOf(raw) === 'held' || outcomeOf(raw) === 'none') continue;
    const details = decisionDetailsSchema.safeParse(raw);
    if (details.success) decisions.push(details.data);
    else deps.logger.error({ seq: entry.seq, err: details.error }, 'decision entry unreadable; skipped');
  }
  const evidence = await prefetchEvidence(decisions, deps);
  const byException = new Map<string, DecisionDetails[]>();
  for (const d of decisions) {
    const list = byException.get(d.decision.exceptionId);
    if (list) list.push(d);
    else byException.set(d.decision.exceptionId, [d]);
  }
  await runLimited([...byException.values()], CONCURRENCY, async (list) => {
    for (const d of list) await dispatch(d, deps, evidence);
    msg.working();
  });
  return ack;
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure fails the whole. */
async function runLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export async function dispatch(
  details: DecisionDetails,
  deps: DispatcherDeps,
  evidence: ReadonlyMap<string, CanonicalEvent>,
): Promise<void> {
  const { decision: d, exception: facts } = details;
  if (d.outcome === 'withdraw') {
    await deps.approvals.withdrawFor(d.exceptionId, d.reason);
    return;
  }
  if (d.outcome === 'fallback') {
    for (const f of d.fallback) {
      if (f.kind !== 'open_jira_ticket') {
        await deps.log.record({
          kind: 'action_unknown',
          actor: 'system:dispatcher',
          reasonCode: 'unknown_fallback',
          policyVersion: d.policyVersion,
          exceptionId: d.exceptionId,
          ref: f.actionId,
          details: { action: f.kind },
        });
        continue;
      }
      const text = jiraIssueText(d, facts);
      await enqueue(deps.publisher, deps.names, {
        kind: 'jira',
        id: f.actionId,
        exceptionId: d.exceptionId,
        policyVersion: d.policyVersion,
        evidence: facts.evidence,
        detectedAt: facts.detectedAt,
        project: String(f.params.project ?? 'OPS'),
        priority: String(f.params.severity ?? f.params.priority ?? 'P3'),
        summary: text.summary,
        description: text.description,
      });
    }
    return;
  }
  if (d.outcome !== 'approval' && d.outcome !== 'write') return;
  const customer = d.customerId ? deps.directory.get(d.customerId) : undefined;
  if (!customer) {
    await deps.log.record({
      kind: 'action_skipped',
      actor: 'system:dispatcher',
      reasonCode: 'customer_unknown',
      policyVersion: d.policyVersion,
      exceptionId: d.exceptionId,
      details: { note: 'the customer left the directory between the decision and its actions' },
    });
    return;
  }
  const account = accountOf(customer);
  // The task, the draft and the write are independent; the approval waits for the draft it shows.
  const work: Promise<unknown>[] = [];
  const task = d.autoActions.find((a) => a.kind === 'create_crm_task');
  if (task) {
    const text = taskText(d, facts, customer);
    work.push(
      enqueue(deps.publisher, deps.names, {
        kind: 'crm_task',
        id: task.actionId,
        exceptionId: d.exceptionId,
        policyVersion: d.policyVersion,
        evidence: facts.evidence,
        detectedAt: facts.detectedAt,
        customerId: customer.customerId,
        account,
        subject: text.subject,
        description: text.description,
        priority: facts.severity === 'critical' || facts.severity === 'high' ? 'High' : 'Normal',
      }),
    );
  }
  if (d.outcome === 'write' && d.writeId) {
    work.push(
      enqueue(deps.publisher, deps.names, {
        kind: 'crm_write',
        id: d.writeId,
        exceptionId: d.exceptionId,
        policyVersion: d.policyVersion,
        evidence: facts.evidence,
        detectedAt: facts.detectedAt,
        customerId: customer.customerId,
        account,
        fields: d.fields,
        actor: 'system:policy',
      }),
    );
  }
  const drafting = d.autoActions.some((a) => a.kind === 'draft_customer_update');
  const draftId = drafting ? await draft(details, d.outcome === 'approval', deps, evidence) : undefined;
  if (d.outcome === 'approval') {
    work.push(
      deps.approvals.open({
        decision: d,
        facts,
        customer,
        triggeredBy: 'system:policy',
        ...(draftId ? { draftId } : {}),
      }),
    );
  }
  await Promise.all(work);
}

export function accountOf(c: CustomerEntry): { id?: string; externalId?: string } {
  return {
    ...(c.crmAccountId ? { id: c.crmAccountId } : {}),
    ...(c.crmExternalId ? { externalId: c.crmExternalId } : {}),
  };
}

const EVIDENCE_WAIT_MS = 250;
const EVIDENCE_TRIES = 12;
/** Only a live exception waits for its events: the events sink stores them a moment after the detector saw them. */
const LIVE_MS = 5 * 60_000;

/**
 * The events behind the block's drafts, in one query; a live block waits briefly for events the events sink
 * has not stored yet (it stores them a moment after the detector saw them).
 */
async function prefetchEvidence(
  decisions: readonly DecisionDetails[],
  deps: DispatcherDeps,
): Promise<Map<string, CanonicalEvent>> {
  const drafting = decisions.filter((d) =>
    d.decision.autoActions.some((a) => a.kind === 'draft_customer_update'),
  );
  const ids = [...new Set(drafting.flatMap((d) => d.exception.evidence))];
  if (ids.length === 0) return new Map();
  const live = drafting.some((d) => deps.now() - Date.parse(d.exception.detectedAt) < LIVE_MS);
  for (let i = 0; ; i++) {
    const events = await deps.evidence.events(ids);
    if (events.length >= ids.length || !live || i >= EVIDENCE_TRIES)
      return new Map(events.map((e) => [e.id, e]));
    await new Promise((r) => setTimeout(r, EVIDENCE_WAIT_MS));
  }
}

/**
 * Builds and stores the customer update draft (once per exception state); never sends it: an approved
 * approval does. The draft's inputs are logged when the policy's logging.prompt_logging asks for it.
 */
async function draft(
  details: DecisionDetails,
  awaitsApproval: boolean,
  deps: DispatcherDeps,
  evidence: ReadonlyMap<string, CanonicalEvent>,
): Promise<string | undefined> {
  const policy = deps.policy().policy;
  const events = details.exception.evidence.flatMap((id) => evidence.get(id) ?? []);
  const safety = policy.safety;
  let built: ReturnType<DraftBuilder>;
  try {
    built = deps.buildDraft(details, events, {
      piiRedaction: safety?.pii_redaction ?? true,
      requireCitations: safety?.outbound_message_requires_citations ?? true,
      nowMs: deps.now(),
    });
  } catch (err) {
    await deps.log.record({
      kind: 'draft_refused',
      actor: 'system:dispatcher',
      reasonCode: 'uncited_statement',
      policyVersion: details.decision.policyVersion,
      exceptionId: details.decision.exceptionId,
      details: { error: err instanceof Error ? err.message : String(err) },
    });
    return undefined;
  }
  if (!built) return undefined;
  const record: DraftRecord = { ...built.record, status: awaitsApproval ? 'awaiting_approval' : 'ready' };
  const created = await deps.drafts.create(record.id, record);
  if (created !== undefined) {
    const logging = policy.logging;
    await deps.log.record({
      kind: 'draft_created',
      actor: 'system:dispatcher',
      reasonCode: awaitsApproval ? 'awaiting_approval' : 'ready',
      policyVersion: details.decision.policyVersion,
      exceptionId: details.decision.exceptionId,
      ...(details.decision.customerId ? { customerId: details.decision.customerId } : {}),
      ref: record.id,
      evidence: record.statements.flatMap((s) => s.citations),
      details: {
        statements: record.statements.length,
        redactions: built.redactions,
        ...(logging?.prompt_logging ? { inputs: built.inputs, text: record.text } : {}),
      },
    });
  }
  return record.id;
}
