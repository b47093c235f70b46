import {
  type AuditEntry,
  auditTime,
  canonicalJson,
  type EntryInput,
  entryHash,
  entryInputSchema,
  GENESIS,
} from './entry.ts';
import { rejectFrom } from './issues.ts';
import { checkChainName } from './names.ts';

/**
 * The hash chain, pure: building the next entries from a chain's head, and checking a chain read back in
 * seq order. Storage (JetStream, ClickHouse) lives in the appender, the sink and verify.ts.
 */
export interface ChainHead {
  /** Seq of the last entry (0 for an empty chain). */
  readonly seq: number;
  /** Hash of the last entry (GENESIS for an empty chain). */
  readonly hash: string;
}

export const emptyHead: ChainHead = Object.freeze({ seq: 0, hash: GENESIS });

/** Entries for `inputs` following `head`, with contiguous seqs, all stamped `now` (epoch ms). */
export function chainEntries(
  head: ChainHead,
  chain: string,
  inputs: readonly EntryInput[],
  now: number,
): AuditEntry[] {
  checkChainName(chain);
  checkInputs(inputs);
  const at = auditTime(now);
  let { seq, hash } = head;
  return inputs.map((input) => {
    seq += 1;
    const fields = {
      chain,
      seq,
      at,
      kind: input.kind,
      actor: input.actor,
      reasonCode: input.reasonCode,
      policyVersion: input.policyVersion,
      exceptionId: input.exceptionId ?? '',
      customerId: input.customerId ?? '',
      ref: input.ref ?? '',
      evidence: [...(input.evidence ?? [])],
      details: canonicalJson(input.details ?? {}),
    };
    const prevHash = hash;
    hash = entryHash(prevHash, fields);
    return { ...fields, prevHash, hash };
  });
}

/** Throws a RejectError naming the entry index, field, value and expectation of the first bad input. */
export function checkInputs(inputs: readonly EntryInput[]): void {
  inputs.forEach((input, i) => {
    const checked = entryInputSchema.safeParse(input);
    if (checked.success) return;
    throw rejectFrom('AUDIT_ENTRY_INVALID', checked.error, input, {
      field: (f) => `${i}.${f}`,
      prefix: 'audit entry: ',
    });
  });
}

export type ProblemCode =
  | 'hash_mismatch'
  | 'prev_link_broken'
  | 'seq_gap'
  | 'seq_duplicate'
  | 'seq_order'
  | 'wrong_chain';

export interface ChainProblem {
  readonly code: ProblemCode;
  /** One line naming what is wrong. */
  readonly message: string;
  /** The entry at which the problem shows (for a gap: the first entry after it). */
  readonly entry: AuditEntry;
}

export interface ChainSummary {
  readonly chain: string;
  readonly entries: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The chain starts after seq 1: its oldest entries were removed by the retention TTL. */
  readonly truncatedByTtl: boolean;
  /** `at` of the first remaining entry (when truncated, the removed ones are older than this). */
  readonly firstAt: string;
  readonly lastAt: string;
}

/**
 * Checks one chain entry by entry (fed in seq order, in pages if need be) and keeps the first problem.
 * A chain may start after seq 1 (its oldest entries aged out): checking starts at the first remaining
 * entry and the summary says so. Anything else out of place is a problem.
 */
export class ChainVerifier {
  private prev: AuditEntry | undefined;
  private first: AuditEntry | undefined;
  private count = 0;
  private problem: ChainProblem | undefined;

  constructor(readonly chain: string) {}

  /** Feeds the next entry; returns the first problem seen so far (later entries are still counted). */
  push(e: AuditEntry): ChainProblem | undefined {
    this.count += 1;
    this.first ??= e;
    if (!this.problem) this.problem = this.check(e);
    this.prev = e;
    return this.problem;
  }

  private check(e: AuditEntry): ChainProblem | undefined {
    const bad = (code: ProblemCode, message: string): ChainProblem => ({ code, message, entry: e });
    if (e.chain !== this.chain)
      return bad('wrong_chain', `entry of chain ${e.chain} found in chain ${this.chain}`);
    const p = this.prev;
    if (p) {
      if (e.seq === p.seq) return bad('seq_duplicate', `seq ${e.seq} appears twice`);
      if (e.seq < p.seq) return bad('seq_order', `seq ${e.seq} follows seq ${p.seq}`);
      if (e.seq > p.seq + 1) {
        const missing = e.seq - 1 === p.seq + 1 ? `seq ${p.seq + 1}` : `seqs ${p.seq + 1}..${e.seq - 1}`;
        return bad('seq_gap', `${missing} missing (gap between seq ${p.seq} and seq ${e.seq})`);
      }
    }
    if (entryHash(e.prevHash, e) !== e.hash) {
      return bad('hash_mismatch', `stored hash does not match the entry's content (the entry was altered)`);
    }
    if (p && e.prevHash !== p.hash) {
      return bad(
        'prev_link_broken',
        `prevHash does not match the hash of seq ${p.seq} (an entry was replaced or re-hashed)`,
      );
    }
    if (!p && e.seq === 1 && e.prevHash !== GENESIS) {
      return bad('prev_link_broken', 'the first entry of the chain does not start from the genesis hash');
    }
    return undefined;
  }

  summary(): ChainSummary | undefined {
    if (!this.first || !this.prev) return undefined;
    return {
      chain: this.chain,
      entries: this.count,
      firstSeq: this.first.seq,
      lastSeq: this.prev.seq,
      truncatedByTtl: this.first.seq > 1,
      firstAt: this.first.at,
      lastAt: this.prev.at,
    };
  }

  firstProblem(): ChainProblem | undefined {
    return this.problem;
  }
}

/** Checks a whole chain held in memory (entries in seq order): its first problem (none when sound) and summary. */
export function verifyChain(
  entries: readonly AuditEntry[],
  opts: { chain?: string } = {},
): { problem?: ChainProblem; summary?: ChainSummary } {
  const chain = opts.chain ?? entries[0]?.chain;
  if (chain === undefined) return {};
  const v = new ChainVerifier(chain);
  for (const e of entries) v.push(e);
  const problem = v.firstProblem();
  const summary = v.summary();
  return { ...(problem ? { problem } : {}), ...(summary ? { summary } : {}) };
}

/** `chain dec.3 seq 17 (decision, exception ex-1): hash_mismatch: …` — for logs and the CLI. */
export function describeProblem(p: ChainProblem): string {
  const e = p.entry;
  const what = [e.kind, e.exceptionId ? `exception ${e.exceptionId}` : ''].filter(Boolean).join(', ');
  return `chain ${e.chain} seq ${e.seq} (${what}) at ${e.at}: ${p.code}: ${p.message}`;
}
