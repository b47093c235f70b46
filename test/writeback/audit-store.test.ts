import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Config,
  createLogger,
  deadLettersTo,
  loadConfig,
  migrate,
  openStore,
  publisherFor,
  queryRows,
  type Running,
  type Store,
  streamNames,
} from '../../core/mod.ts';
import { registerErrorHandler } from '../../dashboards/mod.ts';
import {
  type AppenderDeps,
  type AuditEntry,
  AuditLog,
  type AuditNames,
  applyRetention,
  auditEntrySchema,
  auditMigrations,
  auditNames,
  ChainAppender,
  currentRetention,
  type EntryInput,
  ensureAuditStream,
  exportAudit,
  lastLoggedHead,
  queryAudit,
  registerAuditRoutes,
  startAuditSink,
  verifyAudit,
} from '../../writeback/audit/mod.ts';
import { removeStreams } from '../helpers/dockside.ts';
import { tempDir, uniquePrefix } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

let prefix: string;
let data: { dir: string; remove: () => void };
let config: Config;
let store: Store;
let db: string;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let names: AuditNames;
let sink: Running | undefined;
const logger = createLogger({ logLevel: 'silent' });
const shadows: string[] = [];
let storedBySink = 0;

const startSink = async () => {
  sink = await startAuditSink({
    js,
    jsm,
    store,
    names,
    config,
    logger,
    deadLetters: deadLettersTo(publisherFor(nc), streamNames(config.prefix)),
    onShadow: (msg) => {
      shadows.push(msg.subject);
    },
    onStored: (entries) => {
      storedBySink += entries.length;
    },
  });
};

beforeAll(async () => {
  prefix = uniquePrefix('audst');
  data = tempDir('audst');
  config = loadConfig(
    {},
    { DOCKSIDE_PREFIX: prefix, DOCKSIDE_DATA_DIR: data.dir, DOCKSIDE_FLUSH_INTERVAL_MS: '20' },
  );
  db = config.clickhouse.database;
  store = await openStore(config);
  await migrate(store, db, auditMigrations);
  nc = await connect({ servers: config.natsUrl });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  names = auditNames(prefix);
  await ensureAuditStream(jsm, names, config, 365);
  await startSink();
});
afterAll(async () => {
  await sink?.stop();
  await nc?.close();
  await removeStreams(prefix, config.natsUrl);
  await store?.close();
  data?.remove();
});

const deps = (over: Partial<AppenderDeps> = {}): AppenderDeps => ({
  publisher: publisherFor(nc),
  jsm,
  names,
  ...over,
});
const input = (id: string, over: Partial<EntryInput> = {}): EntryInput => ({
  kind: 'approval_approved',
  actor: 'u-approver',
  reasonCode: 'approved',
  policyVersion: 'pv-1',
  exceptionId: id,
  customerId: 'C-7',
  ref: `apr-${id}`,
  evidence: [`ev-${id}-1`, `ev-${id}-2`],
  details: { step: 'revops_manager', note: `ok ${id}` },
  ...over,
});
const many = (tag: string, n: number) => Array.from({ length: n }, (_, i) => input(`${tag}-${i + 1}`));

const count = async (chain: string) =>
  Number(
    (
      await queryRows<{ n: string }>(
        store,
        `SELECT count() AS n FROM ${db}.decision_log FINAL WHERE chain = {c:String}`,
        {
          c: chain,
        },
      )
    )[0]?.n,
  );
const stored = (chain: string, n: number) =>
  waitFor(`${n} entries of ${chain} in decision_log`, async () =>
    (await count(chain)) === n ? true : undefined,
  );
const command = (query: string) =>
  store.client.command({ query, clickhouse_settings: { mutations_sync: '2' } });

describe('decision log: JetStream → sink → ClickHouse → verify', () => {
  it('stores chained appends of several chains exactly as appended, and verifies them', async () => {
    const log = new AuditLog(deps());
    const owner = new ChainAppender(deps(), 'dec.0', { mode: 'exclusive' });
    const appended: AuditEntry[] = [];
    for (let i = 0; i < 5; i++) {
      appended.push(...(await log.append('act.0', many(`a${i}`, 3))));
      appended.push(...(await owner.append(many(`d${i}`, 2), { cursor: 100 + i })));
    }
    appended.push(
      ...(await log.append('sys', [input('', { kind: 'policy_loaded', exceptionId: '', customerId: '' })])),
    );
    await stored('act.0', 15);
    await stored('dec.0', 10);
    await stored('sys', 1);

    const back = await queryAudit(store, db, { limit: 1000, offset: 0, order: 'asc' });
    const key = (e: AuditEntry) => `${e.chain}#${e.seq}`;
    expect(new Map(back.map((e) => [key(e), e]))).toEqual(new Map(appended.map((e) => [key(e), e])));

    const report = await verifyAudit(store, db);
    expect(report.ok).toBe(true);
    expect(report.firstBad).toBeUndefined();
    expect(report.chains.map((c) => [c.chain, c.entries, c.firstSeq, c.lastSeq, c.truncatedByTtl])).toEqual([
      ['act.0', 15, 1, 15, false],
      ['dec.0', 10, 1, 10, false],
      ['sys', 1, 1, 1, false],
    ]);
    expect(await lastLoggedHead(store, db, 'dec.0')).toEqual({
      seq: 10,
      hash: appended.find((e) => e.chain === 'dec.0' && e.seq === 10)?.hash,
    });
  });

  it('names exactly the row edited in ClickHouse, and passes again once it is restored', async () => {
    const before = (
      await queryAudit(store, db, { chain: 'act.0', limit: 100, offset: 0, order: 'asc' })
    )[6] as AuditEntry;
    expect(before.seq).toBe(7);
    await command(
      `ALTER TABLE ${db}.decision_log UPDATE details = '{"note":"nothing to see"}' WHERE chain = 'act.0' AND seq = 7`,
    );
    const report = await verifyAudit(store, db);
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({
      chain: 'act.0',
      seq: 7,
      kind: 'approval_approved',
      exceptionId: before.exceptionId,
      at: before.at,
      code: 'hash_mismatch',
    });
    expect(report.firstBad?.line).toMatch(
      /^chain act\.0 seq 7 \(approval_approved, exception a2-1\) .*hash_mismatch/,
    );
    expect((await verifyAudit(store, db, { chain: 'dec.0' })).ok).toBe(true);

    await command(
      `ALTER TABLE ${db}.decision_log UPDATE details = '${before.details.replaceAll("'", "\\'")}' WHERE chain = 'act.0' AND seq = 7`,
    );
    expect((await verifyAudit(store, db)).ok).toBe(true);
  });

  it('names a gap where a middle row was deleted', async () => {
    const log = new AuditLog(deps());
    await log.append('act.1', many('g', 9));
    await stored('act.1', 9);
    await command(`ALTER TABLE ${db}.decision_log DELETE WHERE chain = 'act.1' AND seq = 5`);
    const report = await verifyAudit(store, db, { chain: 'act.1' });
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ chain: 'act.1', seq: 6, code: 'seq_gap', exceptionId: 'g-6' });
    expect(report.firstBad?.problem).toMatch(/seq 5 missing/);
    expect(report.chains).toMatchObject([{ chain: 'act.1', entries: 8, firstSeq: 1, lastSeq: 9 }]);
  });

  it('reads the log in pages without losing the chain across page borders', async () => {
    const report = await verifyAudit(store, db, { chain: 'act.0', pageSize: 4 });
    expect(report).toMatchObject({ ok: true, chains: [{ chain: 'act.0', entries: 15, lastSeq: 15 }] });
    const all = await verifyAudit(store, db, { pageSize: 3 });
    expect(all.firstBad).toMatchObject({ chain: 'act.1', seq: 6 });
    expect(all.chains.map((c) => c.chain)).toEqual(['act.0', 'act.1', 'dec.0', 'sys']);
  });

  it('stores each entry once when the sink stops mid-way and its blocks are delivered again', async () => {
    const log = new AuditLog(deps());
    const first = Promise.all(Array.from({ length: 20 }, (_, i) => log.append('act.2', [input(`r-${i}`)])));
    await waitFor('some of act.2 stored', async () => ((await count('act.2')) > 0 ? true : undefined));
    await sink?.stop();
    await first;
    await log.append('act.2', many('r-late', 10));
    await startSink();
    await stored('act.2', 30);

    // Every block delivered again from the start: a new durable, as after a lost consumer.
    await sink?.stop();
    await jsm.consumers.delete(names.stream, names.sinkConsumer);
    const total = (
      await queryRows<{ n: string }>(store, `SELECT count() AS n FROM ${db}.decision_log FINAL`)
    )[0]?.n;
    storedBySink = 0;
    await startSink();
    await waitFor('every block delivered again', async () =>
      storedBySink >= Number(total) ? true : undefined,
    );
    await waitFor('sink caught up', async () => {
      const ci = await jsm.consumers.info(names.stream, names.sinkConsumer);
      return ci.num_pending === 0 && ci.num_ack_pending === 0 ? true : undefined;
    });
    expect(await count('act.2')).toBe(30);
    const doubled = await queryRows<{ chain: string; seq: string }>(
      store,
      `SELECT chain, seq FROM ${db}.decision_log FINAL GROUP BY chain, seq HAVING count() > 1`,
    );
    expect(doubled).toEqual([]);
    expect((await verifyAudit(store, db, { chain: 'act.2' })).ok).toBe(true);
    // The stream still held the block of the row deleted above: delivered again, it filled the gap.
    expect((await verifyAudit(store, db, { chain: 'act.1' })).ok).toBe(true);
  });

  it('exports the entries between two times as NDJSON ordered by at, chain, seq', async () => {
    const t = (m: number) => Date.parse('2026-02-01T12:00:00.000Z') + m * 60_000;
    let clock = t(0);
    const log = new AuditLog(deps({ now: () => clock }));
    for (const [m, chain, id] of [
      [0, 'act.3', 'x0'],
      [1, 'act.4', 'y1'],
      [2, 'act.3', 'x2'],
      [2, 'act.4', 'y2'],
      [3, 'act.3', 'x3'],
      [5, 'act.4', 'y5'],
    ] as const) {
      clock = t(m);
      await log.append(chain, [input(id), input(`${id}b`)]);
    }
    await stored('act.3', 6);
    await stored('act.4', 6);
    let text = '';
    const { entries } = await exportAudit(
      store,
      db,
      { from: new Date(t(1)).toISOString(), to: new Date(t(5)).toISOString() },
      (chunk) => {
        text += chunk;
      },
      { pageSize: 3 },
    );
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => auditEntrySchema.parse(JSON.parse(l)));
    expect(entries).toBe(8);
    expect(lines.map((e) => e.exceptionId)).toEqual(['y1', 'y1b', 'x2', 'x2b', 'y2', 'y2b', 'x3', 'x3b']);
    expect(lines.map((e) => e.chain)).toEqual([
      'act.4',
      'act.4',
      'act.3',
      'act.3',
      'act.4',
      'act.4',
      'act.3',
      'act.3',
    ]);
    expect(lines[0]?.at).toBe('2026-02-01T12:01:00.000Z');
    await expect(
      exportAudit(store, db, { from: 'yesterday', to: new Date(t(5)).toISOString() }, () => {}),
    ).rejects.toThrow(/from: got "yesterday", expected an RFC 3339 timestamp/);
  });

  it('acks shadow differences without logging them, through the onShadow hook', async () => {
    await js.publish(names.shadowSubject(3), JSON.stringify({ exceptionId: 'ex-s' }));
    await waitFor('shadow handed to the hook', () =>
      shadows.includes(names.shadowSubject(3)) ? true : undefined,
    );
    const rows = await queryRows<{ n: string }>(
      store,
      `SELECT count() AS n FROM ${db}.decision_log FINAL WHERE exception_id = 'ex-s'`,
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('sets the retention TTL from the policy once, and leaves it when unchanged', async () => {
    expect(await currentRetention(store, db)).toBe(365);
    expect(await applyRetention(store, db, 90)).toEqual({ changed: true, previous: 365 });
    expect(await applyRetention(store, db, 90)).toEqual({ changed: false, previous: 90 });
    expect(await currentRetention(store, db)).toBe(90);
  });
});

describe('GET /api/audit, GET /api/audit/verify', () => {
  it('lists entries by exception, ref and chain, and reports verification', async () => {
    const app = Fastify();
    registerErrorHandler(app, { bodyLimit: 1_048_576, routes: () => [] });
    registerAuditRoutes(app, { store, database: db });
    const list = await app.inject({ url: '/api/audit?exceptionId=a2-1&order=asc' });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({
      items: [{ chain: 'act.0', seq: 7, exceptionId: 'a2-1', ref: 'apr-a2-1' }],
    });
    const byRef = await app.inject({ url: '/api/audit?ref=apr-d1-2' });
    expect(byRef.json().items).toMatchObject([{ chain: 'dec.0', exceptionId: 'd1-2' }]);
    const page = await app.inject({ url: '/api/audit?chain=act.0&limit=4&offset=4&order=asc' });
    expect(page.json().items.map((e: AuditEntry) => e.seq)).toEqual([5, 6, 7, 8]);

    const verify = await app.inject({ url: '/api/audit/verify?chain=dec.0' });
    expect(verify.json()).toMatchObject({ ok: true, chains: [{ chain: 'dec.0', entries: 10 }] });
    await command(`ALTER TABLE ${db}.decision_log DELETE WHERE chain = 'act.2' AND seq = 12`);
    const broken = await app.inject({ url: '/api/audit/verify' });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({
      ok: false,
      firstBad: { chain: 'act.2', seq: 13, code: 'seq_gap' },
    });

    const bad = await app.inject({ url: '/api/audit?chain=Not%20A%20Chain&limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          field: 'chain',
          value: 'Not A Chain',
          expected: expect.stringMatching(/chain name/),
        }),
        expect.objectContaining({ field: 'limit', value: '0' }),
      ]),
    );
    await app.close();
  });
});
