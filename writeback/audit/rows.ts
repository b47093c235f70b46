import { z } from 'zod';
import { chTime, fromChTime } from '../../core/mod.ts';
import type { AuditEntry } from './entry.ts';

/** A decision_log row (ClickHouse JSONEachRow) and its conversion to and from an entry. */
export interface DecisionLogRow {
  chain: string;
  seq: number;
  prev_hash: string;
  hash: string;
  at: string;
  kind: string;
  actor: string;
  reason_code: string;
  policy_version: string;
  exception_id: string;
  customer_id: string;
  ref: string;
  evidence: string[];
  details: string;
  stored_at: string;
}

export function toLogRow(e: AuditEntry, storedAtMs: number): DecisionLogRow {
  return {
    chain: e.chain,
    seq: e.seq,
    prev_hash: e.prevHash,
    hash: e.hash,
    at: chTime(Date.parse(e.at)),
    kind: e.kind,
    actor: e.actor,
    reason_code: e.reasonCode,
    policy_version: e.policyVersion,
    exception_id: e.exceptionId,
    customer_id: e.customerId,
    ref: e.ref,
    evidence: e.evidence,
    details: e.details,
    stored_at: chTime(storedAtMs),
  };
}

/**
 * Rows as read back. Deliberately lenient (plain strings): a row someone edited must still become an entry,
 * so verification can name it by its failing hash rather than stop at a parse error.
 */
const rowSchema = z.object({
  chain: z.string(),
  seq: z.coerce.number(),
  prev_hash: z.string(),
  hash: z.string(),
  at: z.string(),
  kind: z.string(),
  actor: z.string(),
  reason_code: z.string(),
  policy_version: z.string(),
  exception_id: z.string(),
  customer_id: z.string(),
  ref: z.string(),
  evidence: z.array(z.string()),
  details: z.string(),
});

/** The columns an entry is read from, for SELECTs. */
export const entryColumns =
  'chain, seq, prev_hash, hash, at, kind, actor, reason_code, policy_version, exception_id, customer_id, ref, evidence, details';

export function fromLogRow(raw: unknown): AuditEntry {
  const r = rowSchema.parse(raw);
  return {
    chain: r.chain,
    seq: r.seq,
    prevHash: r.prev_hash,
    hash: r.hash,
    at: new Date(fromChTime(r.at)).toISOString(),
    kind: r.kind,
    actor: r.actor,
    reasonCode: r.reason_code,
    policyVersion: r.policy_version,
    exceptionId: r.exception_id,
    customerId: r.customer_id,
    ref: r.ref,
    evidence: r.evidence,
    details: r.details,
  };
}
