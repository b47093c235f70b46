import { z } from 'zod';

/** The approval record kept in NATS KV (one key per approval; every transition is a compare-and-set). */
export const approvalStatuses = ['pending', 'approved', 'rejected', 'expired', 'withdrawn'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

const stepSchema = z.object({
  role: z.string(),
  timeoutMinutes: z.number().positive(),
  status: z.enum(['waiting', 'pending', 'approved', 'rejected', 'expired']),
  /** When the step became current, and when it times out (RFC 3339). */
  startedAt: z.string().optional(),
  deadline: z.string().optional(),
  /** Timed out once: the escalation role may act too, until the second deadline. */
  escalated: z.boolean().default(false),
  by: z.object({ userId: z.string(), name: z.string() }).optional(),
  at: z.string().optional(),
  reason: z.string().optional(),
});
export type StepState = z.output<typeof stepSchema>;

const historySchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.enum(['created', 'approved', 'rejected', 'escalated', 'expired', 'withdrawn', 'write_enqueued']),
  step: z.number().int().optional(),
  reason: z.string().optional(),
});

const fieldSchema = z.object({ name: z.string(), value: z.union([z.string(), z.number(), z.boolean()]) });

export const approvalSchema = z.object({
  id: z.string(),
  exceptionId: z.string(),
  exceptionVersion: z.number(),
  exceptionType: z.string(),
  shipmentId: z.string().optional(),
  customerId: z.string(),
  customerTier: z.string().optional(),
  crmAccountId: z.string().optional(),
  crmExternalId: z.string().optional(),
  region: z.string(),
  ownerUserId: z.string(),
  confidence: z.number(),
  evidence: z.array(z.string()),
  detectedAt: z.string(),
  fields: z.array(fieldSchema),
  writeId: z.string(),
  draftId: z.string().optional(),
  steps: z.array(stepSchema).min(1),
  current: z.number().int().nonnegative(),
  status: z.enum(approvalStatuses),
  /** `system:policy` for a policy decision, else the user who triggered it (who may never approve it). */
  triggeredBy: z.string(),
  reasonCode: z.string(),
  policyVersion: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Set once the approved write is on the outbox (the sweeper finishes what a crash interrupted). */
  writeEnqueued: z.boolean().default(false),
  history: z.array(historySchema),
});
export type Approval = z.output<typeof approvalSchema>;
export type ApprovalAction = z.output<typeof historySchema>['action'];

export function currentStep(a: Approval): StepState | undefined {
  return a.status === 'pending' ? a.steps[a.current] : undefined;
}

/** A short key for KV and URLs: `ap-<hash>-<n>` (n counts triggers of the same exception). */
export function approvalId(exceptionHash: string, n: number): string {
  return `ap-${exceptionHash}-${n}`;
}

/** KV key of an approval id: `<hash>.<n>`, so all approvals of one exception are `<hash>.>`. */
export function approvalKey(id: string): string {
  const m = /^ap-([0-9a-f]+)-(\d+)$/.exec(id);
  if (!m) throw new Error(`not an approval id: ${id}`);
  return `${m[1]}.${m[2]}`;
}
