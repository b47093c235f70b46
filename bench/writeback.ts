import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import * as hdr from 'hdr-histogram-js';
import { Registry } from 'prom-client';
import {
  AccessPolicy,
  chTime,
  connectNats,
  createLogger,
  type DetectedException,
  deadLettersTo,
  deleteStreams,
  ensureDurable,
  ensureStreams,
  loadConfig,
  migrate,
  openStore,
  partitionOf,
  publisherFor,
  streamNames,
} from '../core/mod.ts';
import {
  decide,
  PolicyHolder,
  startWriteback,
  type Writeback,
  writebackMigrations,
} from '../writeback/mod.ts';
import { writeResult } from './lib/results.ts';
import { median, peakRssMiB } from './lib/stats.ts';
import { startCrmProcess } from './writeback/crm-process.ts';
import { type BenchCustomer, exceptionStates } from './writeback/scenario.ts';

/**
 * Write-back throughput and approval latency.
 * 1. Decisions/s through the write-back consumer — partitioned deciders (policy + hash-chained log) and
 *    dispatchers (approvals, drafts from stored evidence, outbox enqueue) — over a realistic mix of exception
 *    states, as a ratio over a bare consume-and-ack of the same exceptions stream, in alternating rounds.
 * 2. Time from the final approval to the PATCH arriving at the local Salesforce-contract server (HDR).
 * Usage: node bin/run-ts.js bench/writeback.ts [--states N] [--rounds R] [--approvals K]
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
};
const N = arg('--states', 20_000);
const ROUNDS = arg('--rounds', 5);
const APPROVALS = arg('--approvals', 200);
const TEMPLATE = path.resolve('policies/exception_to_crm_writeback.template.yaml');

const dir = mkdtempSync(path.join(os.tmpdir(), 'dockside-bench-wb-'));
// The CRM (the Salesforce-contract server) runs in its own process, as a real one runs elsewhere.
const sf = await startCrmProcess();
const simulator = readFileSync('app/simulator/directory/customers.ndjson', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as BenchCustomer & Record<string, unknown>);
const customers: BenchCustomer[] = simulator.map((c) => ({
  customerId: c.customerId,
  tier: c.tier,
  region: c.region,
}));
const customersFile = path.join(dir, 'customers.ndjson');
const lines: string[] = [];
for (const c of simulator) {
  const crmAccountId = await sf.insert('Account', { Name: c.customerId, Ops_Risk_Level__c: 'low' });
  lines.push(JSON.stringify({ ...c, crmAccountId }));
}
writeFileSync(customersFile, lines.join('\n'));

const base = {
  DOCKSIDE_DATA_DIR: dir,
  POLICY_FILE: TEMPLATE,
  DOCKSIDE_CUSTOMERS_FILE: customersFile,
  LOG_LEVEL: 'warn' as const,
  DOCKSIDE_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
  ...sf.env,
};
const config0 = loadConfig(process.env, base);
const logger = createLogger(config0);
const store = await openStore(config0);
await migrate(store, config0.clickhouse, writebackMigrations);
const nc = await connectNats(config0, logger);
const js = jetstream(nc);

function roundConfig(tag: string) {
  return loadConfig(process.env, { ...base, DOCKSIDE_PREFIX: `bwb_${tag}_${process.pid.toString(36)}` });
}

async function startStage(
  config: ReturnType<typeof roundConfig>,
  startPartitions = true,
): Promise<Writeback> {
  const names = streamNames(config.prefix);
  const holder = PolicyHolder.fromFile(TEMPLATE);
  return startWriteback({
    js,
    jsm: await ensureStreams(nc, names, config),
    publisher: publisherFor(nc),
    deadLetters: deadLettersTo(publisherFor(nc), names),
    names,
    config,
    store,
    policy: holder,
    registry: new Registry(),
    logger,
    getException: async () => undefined,
    access: () => new AccessPolicy(holder.current().policy),
    startPartitions,
  });
}

async function publishStates(config: ReturnType<typeof roundConfig>, states: readonly DetectedException[]) {
  const names = streamNames(config.prefix);
  await ensureStreams(nc, names, config);
  for (let i = 0; i < states.length; i += 1_000) {
    await Promise.all(
      states.slice(i, i + 1_000).map((ex) =>
        publisherFor(nc).publish(
          names.exceptionSubject(partitionOf(ex.id, config.partitions), ex.type),
          JSON.stringify(ex),
          {
            msgID: `${ex.id}:v${ex.version}`,
          },
        ),
      ),
    );
  }
}

/** The evidence events, stored as the events sink would (drafts cite them). */
async function storeEvidence(evidence: ReturnType<typeof exceptionStates>['evidence']) {
  const rows = evidence.map((e) => ({
    id: e.id,
    type: 'shipment.committed',
    occurred_at: chTime(Date.parse(e.at)),
    received_at: chTime(Date.parse(e.at)),
    source: 'bench',
    shipment_id: e.shipmentId,
    warehouse_id: 'WH-CHI1',
    customer_id: e.customerId,
    lane: 'CHI>NYC',
    late: 0,
    payload: JSON.stringify({
      id: e.id,
      type: 'shipment.committed',
      occurredAt: e.at,
      shipmentId: e.shipmentId,
      customerId: e.customerId,
      customerTier: customers.find((c) => c.customerId === e.customerId)?.tier ?? 'tier2',
      warehouseId: 'WH-CHI1',
      lane: 'CHI>NYC',
      promisedShipBy: e.at,
    }),
  }));
  for (let i = 0; i < rows.length; i += 10_000) {
    await store.client.insert({
      table: store.table('events'),
      values: rows.slice(i, i + 10_000),
      format: 'JSONEachRow',
    });
  }
}

/** Reference: a durable consumer of the same exceptions stream that acks every message. */
async function bare(config: ReturnType<typeof roundConfig>, n: number): Promise<number> {
  const names = streamNames(config.prefix);
  const jsm = await ensureStreams(nc, names, config);
  const started = performance.now();
  await ensureDurable(jsm, names.exceptionsStream, names.consumer('bare'));
  const consumer = await js.consumers.get(names.exceptionsStream, names.consumer('bare'));
  const messages = await consumer.consume({ max_messages: 2_000 });
  let seen = 0;
  for await (const m of messages) {
    m.ack();
    if (++seen >= n) break;
  }
  await messages.close();
  return performance.now() - started;
}

/** How many messages (and bytes) the write-back stored in JetStream for a round: log, outbox, KV records. */
async function durableWrites(
  config: ReturnType<typeof roundConfig>,
): Promise<{ messages: number; bytes: number }> {
  const names = streamNames(config.prefix);
  const jsm = await ensureStreams(nc, names, config);
  const P = names.streamPrefix;
  let messages = 0;
  let bytes = 0;
  for (const stream of [
    `${P}_AUDIT`,
    `${P}_OUTBOX`,
    ...['approvals', 'drafts', 'writes', 'effects'].map((b) => `KV_${P}_${b}`),
  ]) {
    const info = await jsm.streams.info(stream);
    messages += info.state.last_seq;
    bytes += info.state.messages > 0 ? (info.state.bytes / info.state.messages) * info.state.last_seq : 0;
  }
  return { messages, bytes };
}

/**
 * Second reference: consume the exceptions and store as many messages of the same average size as the
 * write-back stored (log blocks, outbox commands, KV records), pipelined, acking each exception after — the
 * durable writes any write-back of this mix must make, without deciding anything.
 */
async function durableReference(
  config: ReturnType<typeof roundConfig>,
  n: number,
  writes: { messages: number; bytes: number },
) {
  const names = streamNames(config.prefix);
  const jsm = await ensureStreams(nc, names, config);
  const scratch = `${names.streamPrefix}_SCRATCH`;
  await jsm.streams.add({ name: scratch, subjects: [`${config.prefix}.scratch.>`] });
  const payload = 'x'.repeat(Math.max(16, Math.round(writes.bytes / Math.max(1, writes.messages)) - 100));
  const perException = writes.messages / n;
  // The publisher the write-back itself stores with: the reference is the fastest publish loop, not js.publish.
  const out = publisherFor(nc);
  const started = performance.now();
  await ensureDurable(jsm, names.exceptionsStream, names.consumer('ref2'));
  const consumer = await js.consumers.get(names.exceptionsStream, names.consumer('ref2'));
  const messages = await consumer.consume({ max_messages: 2_000 });
  const inflight = new Set<Promise<unknown>>();
  let owed = 0;
  let seen = 0;
  for await (const m of messages) {
    owed += perException;
    const batch: Promise<unknown>[] = [];
    for (; owed >= 1; owed--) batch.push(out.publish(`${config.prefix}.scratch.${seen % 8}`, payload));
    const p = Promise.all(batch).then(() => m.ack());
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size > 256) await Promise.race(inflight);
    if (++seen >= n) break;
  }
  await Promise.all(inflight);
  await messages.close();
  return performance.now() - started;
}

/** Waits until every state is decided (logged) and dispatched; returns when the deciding alone was done (ms from t0). */
async function decidedAll(
  wb: Writeback,
  config: ReturnType<typeof roundConfig>,
  n: number,
  t0: number,
): Promise<number> {
  const jsm = await ensureStreams(nc, streamNames(config.prefix), config);
  const audit = `${streamNames(config.prefix).streamPrefix}_AUDIT`;
  let lastLog = Date.now();
  let decidedAt = 0;
  for (;;) {
    const decided = (await wb.metrics.decisions.get()).values.reduce((a, v) => a + v.value, 0);
    if (decided >= n && !decidedAt) {
      decidedAt = performance.now();
    }
    if (Date.now() - lastLog > 5_000) {
      lastLog = Date.now();
      console.error(`  … ${decided}/${n} decided`);
    }
    if (decided >= n) {
      let idle = true;
      for (let p = 0; p < config.partitions && idle; p++) {
        const info = await jsm.consumers.info(audit, streamNames(config.prefix).consumer(`wb_dispatch_${p}`));
        idle = info.num_pending === 0 && info.num_ack_pending === 0;
      }
      if (idle) {
        return decidedAt - t0;
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

const rounds: {
  bareMs: number;
  writebackMs: number;
  ratio: number;
  /** Until every state was decided and logged (policy + hash-chained log), before all actions were enqueued. */
  decidedMs: number;
  ratioDecided: number;
  durableMs: number;
  durableWrites: number;
  ratioOverDurable: number;
}[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const config = roundConfig(`r${r}`);
  const { states, evidence } = exceptionStates(N, customers, 7 + r, `r${r}x${process.pid}`);
  await publishStates(config, states);
  await storeEvidence(evidence);
  let bareMs = 0;
  let writebackMs = 0;
  let decidedMs = 0;
  const runWriteback = async () => {
    // The stage starts first (streams, KV, directory, sinks); the clock runs from its partitions' start.
    const wb = await startStage(config, false);
    const started = performance.now();
    await wb.startPartitions();
    decidedMs = await decidedAll(wb, config, states.length, started);
    writebackMs = performance.now() - started;
    await wb.stop();
  };
  if (r % 2 === 0) {
    bareMs = await bare(config, states.length);
    await runWriteback();
  } else {
    await runWriteback();
    bareMs = await bare(config, states.length);
  }
  const writes = await durableWrites(config);
  const durableMs = await durableReference(config, states.length, writes);
  rounds.push({
    bareMs,
    writebackMs,
    ratio: bareMs / writebackMs,
    decidedMs,
    ratioDecided: bareMs / decidedMs,
    durableMs,
    durableWrites: writes.messages,
    ratioOverDurable: durableMs / writebackMs,
  });
  console.error(
    `round ${r + 1}/${ROUNDS}: bare ${Math.round((states.length / bareMs) * 1000)}/s, write-back ${Math.round((states.length / writebackMs) * 1000)} decisions/s, ratio ${(bareMs / writebackMs).toFixed(2)} (decided and logged: ${(bareMs / decidedMs).toFixed(2)}); ${writes.messages} durable writes: reference ${Math.round((states.length / durableMs) * 1000)}/s, ratio ${(durableMs / writebackMs).toFixed(2)}`,
  );
  await deleteStreams(nc, streamNames(config.prefix));
}

// Approval → PATCH: fresh customers (one account each, so every write changes something), approvals
// opened directly, both steps approved in turn; the clock stops when the CRM receives the PATCH.
const config = roundConfig('lat');
const wb = await startStage(config);
const latency = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
});
const fresh = [];
for (let i = 0; i < APPROVALS; i++) {
  const customerId = `CUST-LAT-${i}`;
  fresh.push({
    customerId,
    crmAccountId: await sf.insert('Account', { Name: customerId, Ops_Risk_Level__c: 'low' }),
    ownerUserId: 'owner-bench',
    region: 'us-midwest',
    tier: 'tier1' as const,
    attributes: {},
  });
}
await wb.directory.import(fresh, 'bench');
const rita = { userId: 'revops-bench', name: 'RevOps', roles: ['revops_manager'], regions: ['*'] };
const owner = { userId: 'owner-bench', name: 'Owner', roles: ['account_owner'], regions: [] };
let arrived: ((id: string, at: number) => void) | undefined;
sf.onApplied = (a) => {
  if (a.object === 'Account') arrived?.(a.id, a.at);
};
const epochNow = () => performance.timeOrigin + performance.now();
for (const c of fresh) {
  const at = new Date().toISOString();
  const ex: DetectedException = {
    id: `late_scan:lat-${c.customerId}-${process.pid}`,
    type: 'late_scan',
    status: 'open',
    severity: 'high',
    confidence: 0.92,
    detectedAt: at,
    occurredAt: at,
    evidence: [],
    details: {},
    version: 1e13,
    customerId: c.customerId,
    customerTier: 'tier1',
  };
  const a = await wb.service.open({
    decision: decide(ex, wb.policy(), c),
    facts: { ...ex, details: {} },
    customer: c,
    triggeredBy: 'system:policy',
  });
  if (!a) throw new Error(`approval for ${c.customerId} not created`);
  await wb.service.decide(a.id, rita, 'approve', 'bench', 0);
  const patched = new Promise<number>((resolve) => {
    arrived = (id, at) => {
      if (id === c.crmAccountId) resolve(at);
    };
  });
  const t0 = epochNow();
  await wb.service.decide(a.id, owner, 'approve', 'bench', 1);
  const patchedAt = await patched;
  latency.recordValue(Math.max(1, Math.round((patchedAt - t0) * 1000)));
}
await wb.stop();
await deleteStreams(nc, streamNames(config.prefix));

const ms = (us: number) => Math.round(us / 10) / 100;
const result = {
  throughput: {
    states: N,
    rounds,
    barePerSecMedian: Math.round((N / median(rounds.map((r) => r.bareMs))) * 1000),
    decisionsPerSecMedian: Math.round((N / median(rounds.map((r) => r.writebackMs))) * 1000),
    ratioMedian: Math.round(median(rounds.map((r) => r.ratio)) * 100) / 100,
    decidedPerSecMedian: Math.round((N / median(rounds.map((r) => r.decidedMs))) * 1000),
    ratioDecidedMedian: Math.round(median(rounds.map((r) => r.ratioDecided)) * 100) / 100,
    target: 0.5,
    durableWritesPerState: Math.round((median(rounds.map((r) => r.durableWrites)) / N) * 100) / 100,
    durableReferencePerSecMedian: Math.round((N / median(rounds.map((r) => r.durableMs))) * 1000),
    ratioOverDurableMedian: Math.round(median(rounds.map((r) => r.ratioOverDurable)) * 100) / 100,
  },
  approvalToPatchMs: {
    samples: APPROVALS,
    p50: ms(latency.getValueAtPercentile(50)),
    p95: ms(latency.getValueAtPercentile(95)),
    p99: ms(latency.getValueAtPercentile(99)),
    max: ms(latency.maxValue),
    targetP99: 200,
  },
  peakRssMiB: Math.round(peakRssMiB()),
};
console.error(JSON.stringify(result, null, 2));
console.error(`results: ${writeResult('writeback', result)}`);
await nc.drain();
await store.close();
await sf.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
