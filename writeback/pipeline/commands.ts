import { z } from 'zod';
import { DocksideError, type JetStreamPublisher, RetryableError } from '../../core/mod.ts';
import { slackBlocksSchema } from '../notify/slack-blocks.ts';
import type { OutboxKind, WritebackNames } from './names.ts';

/**
 * Commands on the outbox stream: each is one effect on an external target, identified by a deterministic id
 * (Nats-Msg-Id, and the idempotency key at the target), so enqueuing twice is one command and executing
 * twice is one effect.
 */
const account = z.object({ id: z.string().optional(), externalId: z.string().optional() });
const field = z.object({ name: z.string(), value: z.union([z.string(), z.number(), z.boolean()]) });
const common = {
  id: z.string().min(1),
  exceptionId: z.string(),
  policyVersion: z.string(),
  evidence: z.array(z.string()).default([]),
  /** When the exception was detected: notification latency is measured from it. */
  detectedAt: z.string(),
};

export const commandSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('crm_write'),
    ...common,
    customerId: z.string(),
    account,
    fields: z.array(field).min(1),
    approvalId: z.string().optional(),
    /** Who caused it: system:policy (auto write) or the last approver. */
    actor: z.string(),
  }),
  z.object({
    kind: z.literal('crm_task'),
    ...common,
    customerId: z.string(),
    account,
    subject: z.string(),
    description: z.string(),
    priority: z.enum(['High', 'Normal', 'Low']),
  }),
  z.object({
    kind: z.literal('jira'),
    ...common,
    project: z.string(),
    priority: z.string(),
    summary: z.string(),
    description: z.string(),
  }),
  z.object({
    kind: z.literal('notify'),
    ...common,
    approvalId: z.string().optional(),
    /** User ids to e-mail (addresses are looked up when sending, so none travel on the stream). */
    recipients: z.array(z.string()),
    /** Fallback addresses from the customer directory (owner e-mail), when the user directory lacks one. */
    emails: z.array(z.string()).default([]),
    subject: z.string(),
    text: z.string(),
    slackText: z.string(),
    slackBlocks: slackBlocksSchema.optional(),
    /** What the notification is about, for the log and the latency metric. */
    about: z.enum(['approval_needed', 'approval_escalated', 'approval_expired', 'write_failed', 'held']),
  }),
  z.object({
    kind: z.literal('customer_update'),
    ...common,
    customerId: z.string(),
    draftId: z.string(),
    approvalId: z.string().optional(),
  }),
]);
export type Command = z.output<typeof commandSchema>;
export type CommandOf<K extends OutboxKind> = Extract<Command, { kind: K }>;

/** Enqueues a command; a second enqueue of the same id (within the duplicate window) is dropped by JetStream. */
export async function enqueue(
  publisher: JetStreamPublisher,
  names: WritebackNames,
  cmd: Command,
  msgID: string = cmd.id,
): Promise<boolean> {
  try {
    const ack = await publisher.publish(names.outboxSubject(cmd.kind), JSON.stringify(cmd), { msgID });
    return !ack.duplicate;
  } catch (cause) {
    // A command too large for the stream is not transient: keep the publisher's class (RejectError).
    if (cause instanceof DocksideError && cause.action !== 'retry') throw cause;
    throw new RetryableError('OUTBOX_PUBLISH_FAILED', `enqueuing ${cmd.kind} ${cmd.id} failed`, { cause });
  }
}
