import { queryRows, type Store } from '../../core/mod.ts';
import {
  type ChainHead,
  type ChainSummary,
  ChainVerifier,
  describeProblem,
  type ProblemCode,
} from './chain.ts';
import { checkChainName } from './names.ts';
import { entryColumns, fromLogRow } from './rows.ts';

export interface BadEntry {
  readonly chain: string;
  readonly seq: number;
  readonly kind: string;
  readonly exceptionId: string;
  readonly at: string;
  readonly code: ProblemCode;
  readonly problem: string;
  /** The whole finding in one line (what the CLI prints). */
  readonly line: string;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly chains: readonly (ChainSummary & { readonly problem?: string })[];
  /** The first bad entry in (chain, seq) order; every chain is still read and summarized. */
  readonly firstBad?: BadEntry;
}

const PAGE = 10_000;

/**
 * Checks the stored log: reads decision_log FINAL in (chain, seq) order, a page at a time (keyset on the
 * table's own order, so memory stays bounded however long the log), through one ChainVerifier per chain.
 */
export async function verifyAudit(
  store: Store,
  database: string,
  opts: { chain?: string; pageSize?: number } = {},
): Promise<AuditReport> {
  if (opts.chain !== undefined) checkChainName(opts.chain);
  const pageSize = opts.pageSize ?? PAGE;
  const chains: (ChainSummary & { problem?: string })[] = [];
  let firstBad: BadEntry | undefined;
  let current: ChainVerifier | undefined;
  const finish = () => {
    const summary = current?.summary();
    const problem = current?.firstProblem();
    if (summary) chains.push({ ...summary, ...(problem ? { problem: describeProblem(problem) } : {}) });
    if (problem && !firstBad) {
      const e = problem.entry;
      firstBad = {
        chain: e.chain,
        seq: e.seq,
        kind: e.kind,
        exceptionId: e.exceptionId,
        at: e.at,
        code: problem.code,
        problem: problem.message,
        line: describeProblem(problem),
      };
    }
  };
  let after: { chain: string; seq: number } | undefined;
  for (;;) {
    const where = [
      ...(opts.chain !== undefined ? ['chain = {chain:String}'] : []),
      ...(after ? ['(chain, seq) > ({afterChain:String}, {afterSeq:UInt64})'] : []),
    ];
    const rows = await queryRows<unknown>(
      store,
      `SELECT ${entryColumns} FROM ${database}.decision_log FINAL
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY chain, seq LIMIT {limit:UInt32}`,
      {
        limit: pageSize,
        ...(opts.chain !== undefined ? { chain: opts.chain } : {}),
        ...(after ? { afterChain: after.chain, afterSeq: after.seq } : {}),
      },
    );
    for (const row of rows) {
      const e = fromLogRow(row);
      if (current?.chain !== e.chain) {
        finish();
        current = new ChainVerifier(e.chain);
      }
      current.push(e);
      after = { chain: e.chain, seq: e.seq };
    }
    if (rows.length < pageSize) break;
  }
  finish();
  return { ok: firstBad === undefined, chains, ...(firstBad ? { firstBad } : {}) };
}

/**
 * The last entry ClickHouse holds for a chain: where an appender resumes when the stream no longer has any
 * of the chain's blocks (AppenderDeps.recoverHead).
 */
export async function lastLoggedHead(
  store: Store,
  database: string,
  chain: string,
): Promise<ChainHead | undefined> {
  const rows = await queryRows<{ seq: string | number; hash: string }>(
    store,
    `SELECT seq, hash FROM ${database}.decision_log FINAL WHERE chain = {chain:String} ORDER BY seq DESC LIMIT 1`,
    { chain },
  );
  const r = rows[0];
  return r ? { seq: Number(r.seq), hash: r.hash } : undefined;
}
