import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RejectError } from '../../core/mod.ts';
import {
  type AuditEntry,
  canonicalJson,
  chainEntries,
  emptyHead,
  entryHash,
  GENESIS,
  verifyChain,
} from '../../writeback/audit/mod.ts';

const T0 = Date.parse('2026-03-01T10:00:00.123Z');
const input = (i: number) => ({
  kind: 'decision',
  actor: 'system:decider',
  reasonCode: 'approval_required',
  policyVersion: 'v-abc',
  exceptionId: `ex-${i}`,
  customerId: 'C-1',
  ref: `w-${i}`,
  evidence: [`ev-${i}`, `ev-${i + 1}`],
  details: { z: 1, a: { y: [1, 2], b: 'x' } },
});
const chain = (n: number, name = 'dec.0') =>
  chainEntries(
    emptyHead,
    name,
    Array.from({ length: n }, (_, i) => input(i + 1)),
    T0,
  );

describe('entries and their hash', () => {
  it('hashes prevHash, a newline and the JSON array of the fields in the documented order', () => {
    const [e] = chain(1);
    if (!e) throw new Error('no entry');
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
    const expected = createHash('sha256')
      .update(`${GENESIS}\n${JSON.stringify(fields)}`)
      .digest('hex');
    expect(e).toMatchObject({
      chain: 'dec.0',
      seq: 1,
      prevHash: GENESIS,
      at: '2026-03-01T10:00:00.123Z',
      details: '{"a":{"b":"x","y":[1,2]},"z":1}',
    });
    expect(e.hash).toBe(expected);
    expect(entryHash(GENESIS, e)).toBe(expected);
    expect(GENESIS).toBe('0'.repeat(64));
  });

  it('continues a chain from its head with contiguous seqs and links', () => {
    const first = chain(3);
    const last = first.at(-1) as AuditEntry;
    const next = chainEntries({ seq: last.seq, hash: last.hash }, 'dec.0', [input(9), input(10)], T0 + 5);
    expect(next.map((e) => e.seq)).toEqual([4, 5]);
    expect(next[0]?.prevHash).toBe(last.hash);
    expect(next[1]?.prevHash).toBe(next[0]?.hash);
    expect(verifyChain([...first, ...next]).problem).toBeUndefined();
  });

  it('stores absent optional fields as empty strings and details as {}', () => {
    const [e] = chainEntries(
      emptyHead,
      'sys',
      [{ kind: 'policy_loaded', actor: 'system:policy', reasonCode: '', policyVersion: 'v1' }],
      T0,
    );
    expect(e).toMatchObject({ exceptionId: '', customerId: '', ref: '', evidence: [], details: '{}' });
  });

  it('writes canonical JSON: sorted keys at every depth, undefined dropped, dates as ISO', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, b: new Date(T0) }] })).toBe(
      '{"a":[{"b":"2026-03-01T10:00:00.123Z","d":2}],"b":1}',
    );
  });

  it('rejects a bad input naming its index, field, value and expectation', () => {
    const bad = { ...input(1), kind: 'Bad Kind' };
    let err: unknown;
    try {
      chainEntries(emptyHead, 'act.1', [input(0), bad], T0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RejectError);
    expect((err as RejectError).issues[0]).toMatchObject({ field: '1.kind', value: 'Bad Kind' });
    expect((err as Error).message).toMatch(/1\.kind: got "Bad Kind", expected .*snake_case/);
    expect(() => chainEntries(emptyHead, 'Dec 1', [input(1)], T0)).toThrow(/chain: got "Dec 1"/);
  });
});

describe('verifyChain', () => {
  it('passes an untouched chain and summarizes it', () => {
    const r = verifyChain(chain(5));
    expect(r.problem).toBeUndefined();
    expect(r.summary).toMatchObject({
      chain: 'dec.0',
      entries: 5,
      firstSeq: 1,
      lastSeq: 5,
      truncatedByTtl: false,
    });
  });

  it('names an altered entry by its hash', () => {
    const c = chain(5);
    c[2] = { ...(c[2] as AuditEntry), details: '{"a":"changed"}' };
    expect(verifyChain(c).problem).toMatchObject({
      code: 'hash_mismatch',
      entry: { seq: 3, exceptionId: 'ex-3' },
    });
  });

  it('names a re-hashed replacement by the broken link after it', () => {
    const c = chain(5);
    const old = c[2] as AuditEntry;
    const forged = { ...old, details: '{"a":"forged"}' };
    c[2] = { ...forged, hash: entryHash(forged.prevHash, forged) };
    expect(verifyChain(c).problem).toMatchObject({ code: 'prev_link_broken', entry: { seq: 4 } });
  });

  it('names a gap, a duplicate and a first entry not starting from genesis', () => {
    const c = chain(5);
    expect(verifyChain([c[0], c[1], c[3], c[4]] as AuditEntry[]).problem).toMatchObject({
      code: 'seq_gap',
      message: expect.stringContaining('seq 3 missing'),
      entry: { seq: 4 },
    });
    expect(verifyChain([c[0], c[1], c[1], c[2]] as AuditEntry[]).problem).toMatchObject({
      code: 'seq_duplicate',
      entry: { seq: 2 },
    });
    const other = chainEntries({ seq: 0, hash: 'f'.repeat(64) }, 'dec.0', [input(1)], T0);
    expect(verifyChain(other).problem).toMatchObject({ code: 'prev_link_broken', entry: { seq: 1 } });
  });

  it('accepts a chain whose oldest entries were removed by retention, and says so', () => {
    const r = verifyChain(chain(6).slice(3));
    expect(r.problem).toBeUndefined();
    expect(r.summary).toMatchObject({ firstSeq: 4, lastSeq: 6, entries: 3, truncatedByTtl: true });
  });

  it('names an entry of another chain', () => {
    const c = chain(2);
    const stranger = chain(3, 'act.0')[2] as AuditEntry;
    expect(verifyChain([...c, stranger], { chain: 'dec.0' }).problem).toMatchObject({ code: 'wrong_chain' });
  });
});
