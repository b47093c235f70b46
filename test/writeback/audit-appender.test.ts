import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JetStreamPublisher, loadConfig, publisherFor, RetryableError } from '../../core/mod.ts';
import {
  type AppenderDeps,
  AuditBlockTooLargeError,
  type AuditEntry,
  AuditLog,
  type AuditNames,
  auditBlockSchema,
  auditNames,
  ChainAppender,
  ChainFencedError,
  type EntryInput,
  ensureAuditStream,
  GENESIS,
  retainDaysOf,
  verifyChain,
} from '../../writeback/audit/mod.ts';
import { removeStreams } from '../helpers/dockside.ts';
import { uniquePrefix } from '../helpers/env.ts';

const NATS = 'nats://127.0.0.1:4222';
const specConfig = loadConfig({}, { DOCKSIDE_DEDUPE_WINDOW_MS: '120000' });
let prefix: string;
let names: AuditNames;
const conns: NatsConnection[] = [];
let js: JetStreamClient;
let jsm: JetStreamManager;
let publisher: JetStreamPublisher;

/** Another process's view: its own connection, publisher and manager. */
async function client(): Promise<{ publisher: JetStreamPublisher; jsm: JetStreamManager }> {
  const nc = await connect({ servers: NATS });
  conns.push(nc);
  return { publisher: publisherFor(nc), jsm: await jetstreamManager(nc) };
}

beforeAll(async () => {
  prefix = uniquePrefix('audap');
  names = auditNames(prefix);
  ({ publisher, jsm } = await client());
  js = jetstream(conns[0] as NatsConnection);
  await ensureAuditStream(jsm, names, specConfig, 365);
});
afterAll(async () => {
  for (const nc of conns) await nc.close();
  await removeStreams(prefix, NATS);
});

const deps = (over: Partial<AppenderDeps> = {}): AppenderDeps => ({ publisher, jsm, names, ...over });
const entry = (id: string, over: Partial<EntryInput> = {}): EntryInput => ({
  kind: 'write_applied',
  actor: 'u-1',
  reasonCode: 'approved',
  policyVersion: 'pv1',
  exceptionId: id,
  evidence: [`ev-${id}`],
  details: { id },
  ...over,
});

/** Every block stored on a chain's subject, in stream order. */
async function blocks(chain: string): Promise<{ seq: number; entries: AuditEntry[]; cursor?: number }[]> {
  const subject = names.chainSubject(chain);
  const info = await jsm.streams.info(names.stream, { subjects_filter: subject });
  const count = info.state.subjects?.[subject] ?? 0;
  const out: { seq: number; entries: AuditEntry[]; cursor?: number }[] = [];
  if (count === 0) return out;
  // filter_subject (one subject): nats-server 2.9 has no filter_subjects.
  const ci = await jsm.consumers.add(names.stream, {
    filter_subject: subject,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: 30_000_000_000,
  });
  const messages = await (await js.consumers.get(names.stream, ci.name)).consume();
  for await (const m of messages) {
    const b = auditBlockSchema.parse(m.json());
    out.push({ seq: m.seq, entries: b.entries, ...(b.cursor !== undefined ? { cursor: b.cursor } : {}) });
    if (out.length === count) break;
  }
  await messages.close();
  await jsm.consumers.delete(names.stream, ci.name);
  return out;
}
const entriesOf = async (chain: string) => (await blocks(chain)).flatMap((b) => b.entries);

describe('what nats-server (the one the tests run on) does with the headers the appender relies on', () => {
  it('accepts Nats-Expected-Last-Subject-Sequence 0 only while the subject is empty', async () => {
    const subject = names.chainSubject('probe.first');
    const first = await publisher.publish(subject, 'a', { msgID: 'p1', expect: { lastSubjectSequence: 0 } });
    expect(first.duplicate).toBe(false);
    const again = publisher.publish(subject, 'b', { msgID: 'p2', expect: { lastSubjectSequence: 0 } });
    await expect(again).rejects.toBeInstanceOf(RetryableError);
    await expect(again).rejects.toMatchObject({
      code: 'PUBLISH_EXPECTATION_FAILED',
      message: expect.stringMatching(/wrong last sequence.*\(10071\)/),
    });
  });

  it('answers a known msg id as a duplicate (with the stored seq) before checking the expectation', async () => {
    const subject = names.chainSubject('probe.dup');
    const expect0 = { lastSubjectSequence: 0 };
    const stored = await publisher.publish(subject, 'a', { msgID: 'd1', expect: expect0 });
    await publisher.publish(subject, 'b', { msgID: 'd2', expect: { lastSubjectSequence: stored.seq } });
    // The expectation (0) is stale: the subject has two messages. Still a duplicate, not an error.
    const dup = await publisher.publish(subject, 'a', { msgID: 'd1', expect: expect0 });
    expect(dup).toMatchObject({ duplicate: true, seq: stored.seq });
  });
});

describe('ChainAppender in shared mode', () => {
  it('appends chained entries, one block per append, and resolves with what it stored', async () => {
    const log = new AuditLog(deps());
    const a = await log.append('act.1', [entry('e1'), entry('e2')]);
    const b = await log.append('act.1', [entry('e3')]);
    expect([...a, ...b].map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(a[0]?.prevHash).toBe(GENESIS);
    const stored = await blocks('act.1');
    expect(stored.map((s) => s.entries.length)).toEqual([2, 1]);
    expect(stored.flatMap((s) => s.entries)).toEqual([...a, ...b]);
    expect(verifyChain(stored.flatMap((s) => s.entries)).problem).toBeUndefined();
  });

  it('puts what queues while a block is in flight into the next block (group commit)', async () => {
    const log = new AuditLog(deps());
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.append('act.2', [entry(`g${i}`)])),
    );
    expect(results.map((r) => r[0]?.exceptionId)).toEqual(Array.from({ length: 50 }, (_, i) => `g${i}`));
    expect(results.map((r) => r[0]?.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // The first call publishes at once; the 49 made meanwhile travel together.
    expect((await blocks('act.2')).map((b) => b.entries.length)).toEqual([1, 49]);
  });

  it('re-reads the head and rebuilds the hashes when another writer moved the chain', async () => {
    let conflicts = 0;
    const a = new AuditLog({ ...deps(), ...(await client()) }, { onConflict: () => conflicts++ });
    const b = new AuditLog({ ...deps(), ...(await client()) });
    await a.append('act.3', [entry('a1')]);
    await b.append('act.3', [entry('b1')]);
    const [a2] = await a.append('act.3', [entry('a2')]);
    expect(conflicts).toBe(1);
    expect(a2?.seq).toBe(3);
    const all = await entriesOf('act.3');
    expect(all.map((e) => e.exceptionId)).toEqual(['a1', 'b1', 'a2']);
    expect(verifyChain(all).problem).toBeUndefined();
  });

  it('keeps one chain contiguous under two processes appending 200 entries each at once', async () => {
    const writers = [
      new AuditLog({ ...deps(), ...(await client()) }),
      new AuditLog({ ...deps(), ...(await client()) }),
    ];
    const run = async (w: AuditLog, tag: string) => {
      for (let round = 0; round < 20; round++) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => w.append('act.4', [entry(`${tag}-${round * 10 + i}`)])),
        );
      }
    };
    await Promise.all([run(writers[0] as AuditLog, 'A'), run(writers[1] as AuditLog, 'B')]);
    const all = await entriesOf('act.4');
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(verifyChain(all).problem).toBeUndefined();
    const ids = all.map((e) => e.exceptionId);
    expect(new Set(ids).size).toBe(400);
    expect(ids.filter((id) => id.startsWith('A-'))).toHaveLength(200);
  });

  it('finds its own block after a lost ack, even when another writer appended meanwhile', async () => {
    const other = new AuditLog({ ...deps(), ...(await client()) });
    let dropped = 0;
    // The real publish happens; its ack is lost once, after someone else appended behind it.
    const lossy = new Proxy(publisher, {
      get(target, prop, receiver) {
        if (prop !== 'publish') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<JetStreamPublisher['publish']>) => {
          const ack = await target.publish(...args);
          if (dropped++ > 0) return ack;
          await other.append('act.5', [entry('other')]);
          throw new Error('TIMEOUT');
        };
      },
    });
    const log = new AuditLog(deps({ publisher: lossy }));
    const mine = await log.append('act.5', [entry('mine')]);
    expect(dropped).toBe(2);
    expect(mine).toMatchObject([{ seq: 1, exceptionId: 'mine' }]);
    const all = await entriesOf('act.5');
    expect(all.map((e) => [e.seq, e.exceptionId])).toEqual([
      [1, 'mine'],
      [2, 'other'],
    ]);
    expect(all[0]).toEqual(mine[0]);
  });

  it('splits an append too large for one message into several blocks of one chain', async () => {
    const log = new AuditLog(deps({ maxBlockBytes: 3_000 }));
    const big = Array.from({ length: 10 }, (_, i) => entry(`s${i}`, { details: { text: 'x'.repeat(300) } }));
    const stored = await log.append('act.6', big);
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect((await blocks('act.6')).length).toBeGreaterThan(1);
    expect(verifyChain(await entriesOf('act.6')).problem).toBeUndefined();
    await expect(
      log.append('act.6', [entry('huge', { details: { text: 'x'.repeat(5_000) } })]),
    ).rejects.toBeInstanceOf(AuditBlockTooLargeError);
  });

  it('continues from the head ClickHouse holds when the stream has no block of the chain', async () => {
    const head = { seq: 41, hash: 'a'.repeat(64) };
    const log = new AuditLog(deps({ recoverHead: async (chain) => (chain === 'act.7' ? head : undefined) }));
    const [e] = await log.append('act.7', [entry('after-ttl')]);
    expect(e).toMatchObject({ seq: 42, prevHash: head.hash });
  });
});

describe('ChainAppender in exclusive mode', () => {
  it('keeps its cursor in every block and reads it back as the head', async () => {
    const owner = new ChainAppender(deps(), 'dec.1', { mode: 'exclusive' });
    expect(await owner.head()).toEqual({ seq: 0, hash: GENESIS, streamSeq: 0 });
    const stored = await owner.append([entry('x1'), entry('x2')], { cursor: 17 });
    await owner.append([], { cursor: 19 });
    const fresh = await new ChainAppender(deps(), 'dec.1', { mode: 'exclusive' }).head();
    expect(fresh).toMatchObject({ seq: 2, hash: stored[1]?.hash, cursor: 19 });
    await owner.append([entry('x3')]);
    expect((await blocks('dec.1')).map((b) => b.cursor)).toEqual([17, 19, 19]);
    expect(await owner.head()).toMatchObject({ seq: 3, cursor: 19 });
  });

  it('is fenced (ChainFencedError) once another owner appended, and stays fenced', async () => {
    const zombie = new ChainAppender({ ...deps(), ...(await client()) }, 'dec.2', { mode: 'exclusive' });
    await zombie.append([entry('z1')], { cursor: 5 });
    const owner = new ChainAppender({ ...deps(), ...(await client()) }, 'dec.2', { mode: 'exclusive' });
    expect((await owner.head()).cursor).toBe(5);
    await owner.append([entry('o1')], { cursor: 9 });
    const err = await zombie.append([entry('z2')], { cursor: 9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainFencedError);
    expect(err).toMatchObject({ chain: 'dec.2', code: 'AUDIT_CHAIN_FENCED' });
    await expect(zombie.append([entry('z3')], { cursor: 10 })).rejects.toBe(err);
    const all = await entriesOf('dec.2');
    expect(all.map((e) => e.exceptionId)).toEqual(['z1', 'o1']);
    expect(verifyChain(all).problem).toBeUndefined();
  });

  it('does not fence itself when its own ack was lost', async () => {
    let lost = false;
    const lossy = new Proxy(publisher, {
      get(target, prop, receiver) {
        if (prop !== 'publish') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<JetStreamPublisher['publish']>) => {
          const ack = await target.publish(...args);
          if (lost) return ack;
          lost = true;
          throw new Error('TIMEOUT');
        };
      },
    });
    const owner = new ChainAppender(deps({ publisher: lossy }), 'dec.3', { mode: 'exclusive' });
    const stored = await owner.append([entry('once')], { cursor: 3 });
    await owner.append([entry('twice')], { cursor: 4 });
    expect((await entriesOf('dec.3')).map((e) => [e.seq, e.exceptionId])).toEqual([
      [1, 'once'],
      [2, 'twice'],
    ]);
    expect(stored[0]?.seq).toBe(1);
  });

  it('refuses a block too large to keep whole with its cursor', async () => {
    const owner = new ChainAppender(deps({ maxBlockBytes: 2_000 }), 'dec.4', { mode: 'exclusive' });
    const many = Array.from({ length: 10 }, (_, i) => entry(`b${i}`, { details: { text: 'y'.repeat(200) } }));
    await expect(owner.append(many, { cursor: 1 })).rejects.toBeInstanceOf(AuditBlockTooLargeError);
    expect(await blocks('dec.4')).toEqual([]);
  });

  it('refuses a cursor on a shared appender', async () => {
    await expect(new AuditLog(deps()).appender('act.9').append([entry('c')], { cursor: 1 })).rejects.toThrow(
      /exclusive/,
    );
  });
});

describe('the <P>_AUDIT stream', () => {
  it('holds the audit and shadow subjects for retain_days, with the configured duplicate window', async () => {
    const info = await jsm.streams.info(names.stream);
    expect(info.config.subjects).toEqual([`${prefix}.audit.>`, `${prefix}.wbshadow.>`]);
    expect(info.config.max_age).toBe(365 * 86_400_000 * 1_000_000);
    expect(info.config.duplicate_window).toBe(120_000 * 1_000_000);
    expect(info.config.storage).toBe('file');
    await ensureAuditStream(jsm, names, specConfig, 30);
    expect((await jsm.streams.info(names.stream)).config.max_age).toBe(30 * 86_400_000 * 1_000_000);
    expect(names.stream).toBe(`${prefix.toUpperCase()}_AUDIT`);
  });

  it("reads retain_days from the policy's logging section, 365 when absent, and names a bad value", () => {
    expect(retainDaysOf({ logging: { retain_days: 90 } })).toBe(90);
    expect(retainDaysOf({})).toBe(365);
    expect(() => retainDaysOf({ logging: { retain_days: 'forever' } })).toThrow(
      /logging\.retain_days: got "forever", expected a whole number of days/,
    );
  });
});
