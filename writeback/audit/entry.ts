import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * One entry of the decision log and its hash (docs/writeback.md, "The decision log"). Other parts build
 * entries through chainEntries; verification recomputes the hash from the stored fields, so the field list
 * and its order below are part of the log's format and never change.
 */
export const GENESIS = '0'.repeat(64);

/** `dec.3`, `act.12`, `sys`: lower-case tokens joined by dots (each one a NATS subject token). */
export const chainNamePattern = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;
export const chainNameSchema = z
  .string()
  .max(64)
  .regex(chainNamePattern, 'a chain name like dec.3, act.3 or sys');

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits (sha256)');
/** RFC 3339 in UTC with milliseconds, exactly as Date.prototype.toISOString writes it. */
export const utcMillisPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const auditEntrySchema = z.object({
  chain: chainNameSchema,
  seq: z.number().int().min(1),
  prevHash: hex64,
  hash: hex64,
  at: z.string().regex(utcMillisPattern, 'RFC 3339 UTC with milliseconds, e.g. 2026-01-31T14:05:00.123Z'),
  kind: z.string().min(1),
  actor: z.string().min(1),
  reasonCode: z.string(),
  policyVersion: z.string(),
  exceptionId: z.string(),
  customerId: z.string(),
  ref: z.string(),
  evidence: z.array(z.string()),
  /** JSON text, hashed exactly as stored. */
  details: z.string(),
});
export type AuditEntry = z.output<typeof auditEntrySchema>;

/** The kinds the write-back module records (documentation; the log accepts any snake_case kind). */
export const auditKinds = [
  'decision',
  'approval_created',
  'approval_approved',
  'approval_rejected',
  'approval_escalated',
  'approval_expired',
  'approval_withdrawn',
  'write_attempt',
  'write_applied',
  'write_failed',
  'write_dead_lettered',
  'write_redriven',
  'write_held',
  'rollback_applied',
  'rollback_refused',
  'task_created',
  'jira_opened',
  'draft_created',
  'notification_sent',
  'notification_failed',
  'policy_loaded',
  'policy_rejected',
] as const;

/** What a caller passes: the log adds chain, seq, at and the hashes. Absent optional strings are stored as ''. */
export interface EntryInput {
  readonly kind: string;
  /** A user id, or `system:<component>`. */
  readonly actor: string;
  readonly reasonCode: string;
  readonly policyVersion: string;
  readonly exceptionId?: string | undefined;
  readonly customerId?: string | undefined;
  /** Approval, write or action id. */
  readonly ref?: string | undefined;
  /** Event ids the entry rests on. */
  readonly evidence?: readonly string[] | undefined;
  /** Stored as canonical JSON text (keys sorted), `{}` when absent. */
  readonly details?: object | undefined;
}

export const entryInputSchema = z.object({
  kind: z.string().regex(/^[a-z][a-z0-9_]*$/, 'a snake_case kind like decision or write_applied'),
  actor: z.string().min(1).max(256),
  reasonCode: z.string().max(128),
  policyVersion: z.string().max(128),
  exceptionId: z.string().max(512).optional(),
  customerId: z.string().max(512).optional(),
  ref: z.string().max(512).optional(),
  evidence: z.array(z.string().max(512)).optional(),
  details: z.looseObject({}).optional(),
});

/** The fields covered by the hash, in their fixed order. */
export type HashedFields = Omit<AuditEntry, 'prevHash' | 'hash'>;

export function entryHash(prevHash: string, e: HashedFields): string {
  const fields = [
    e.chain,
    e.seq,
    e.at,
    e.kind,
    e.actor,
    e.reasonCode,
    e.policyVersion,
    e.exceptionId,
    e.customerId,
    e.ref,
    e.evidence,
    e.details,
  ];
  return createHash('sha256')
    .update(`${prevHash}\n${JSON.stringify(fields)}`)
    .digest('hex');
}

/**
 * JSON with object keys sorted at every depth, so the same details always give the same text (and hash).
 * Follows JSON.stringify otherwise: undefined members are dropped, non-finite numbers become null, toJSON
 * (Date) is honoured.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return sortKeys(withJson.toJSON());
  if (Array.isArray(value)) return value.map(sortKeys);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** `at` from epoch milliseconds. */
export function auditTime(ms: number): string {
  return new Date(ms).toISOString();
}
