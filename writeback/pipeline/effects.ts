import { z } from 'zod';

/**
 * Done-marks of side effects that are not field writes (CRM tasks, Jira issues, notifications, customer
 * updates), in KV `effects` keyed by the command id: a redelivered command finds its mark and does nothing.
 */
export const effectSchema = z.object({
  id: z.string(),
  kind: z.string(),
  exceptionId: z.string(),
  status: z.enum(['done', 'failed', 'held']),
  /** What the target answered (task id, Jira key, accepted recipients count…), or why it was held/failed. */
  result: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  reason: z.string().optional(),
  attempts: z.number().int().nonnegative(),
  at: z.string(),
});
export type Effect = z.output<typeof effectSchema>;

/** A customer update draft and where it stands (KV `drafts`, keyed by draft id). */
export const draftRecordSchema = z.object({
  id: z.string(),
  exceptionId: z.string(),
  customerId: z.string(),
  approvalId: z.string().optional(),
  status: z.enum(['awaiting_approval', 'ready', 'sent', 'withdrawn', 'held']),
  subject: z.string(),
  text: z.string(),
  statements: z.array(z.object({ text: z.string(), citations: z.array(z.string()) })),
  createdAt: z.string(),
  sentAt: z.string().optional(),
  heldReason: z.string().optional(),
});
export type DraftRecord = z.output<typeof draftRecordSchema>;
