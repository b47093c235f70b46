import { z } from 'zod';

/**
 * The state of one CRM field write (KV `writes`, key = write id). The protocol that makes a write happen once:
 * queued → (read the current values) prepared{previous} → PATCH → applied. A retry that finds `prepared`
 * reads the CRM again: values already equal to the target mean the PATCH landed before a crash or a lost
 * response, so it is marked applied without a second PATCH.
 */
export const writeStatuses = [
  'queued',
  'prepared',
  'applied',
  'failed',
  'held',
  'rolling_back',
  'rolled_back',
] as const;
export type WriteStatus = (typeof writeStatuses)[number];

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const attemptSchema = z.object({
  at: z.string(),
  outcome: z.enum([
    'applied',
    'noop',
    'already_applied',
    'retry',
    'failed',
    'held',
    'rolled_back',
    'refused',
  ]),
  error: z.string().optional(),
  code: z.string().optional(),
  status: z.number().optional(),
});
export type Attempt = z.output<typeof attemptSchema>;

export const writeStateSchema = z.object({
  id: z.string(),
  exceptionId: z.string(),
  customerId: z.string(),
  approvalId: z.string().optional(),
  account: z.object({ id: z.string().optional(), externalId: z.string().optional() }),
  target: z.string(),
  fields: z.array(z.object({ name: z.string(), value: z.union([z.string(), z.number(), z.boolean()]) })),
  status: z.enum(writeStatuses),
  /** Values read before the write: what a rollback restores. */
  previous: z.record(z.string(), value).optional(),
  appliedAt: z.string().optional(),
  /** True when the CRM already had the target values (nothing was sent). */
  noop: z.boolean().optional(),
  heldReason: z.string().optional(),
  failure: z.string().optional(),
  rolledBackAt: z.string().optional(),
  rolledBackBy: z.string().optional(),
  actor: z.string(),
  policyVersion: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  attempts: z.array(attemptSchema),
  /** Incremented by a re-drive, so the re-enqueued command gets a fresh message id. */
  generation: z.number().int().nonnegative().default(0),
});
export type WriteState = z.output<typeof writeStateSchema>;
