import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../bench/exceptions/scenario.ts';
import {
  type CanonicalEvent,
  createLogger,
  createMetrics,
  deadLetterSchema,
  ensureStreams,
  loadPolicy,
  partitionKey,
  partitionOf,
  streamNames,
} from '../../core/mod.ts';
import { type DetectorWorker, type Rule, rules, startDetectorWorker } from '../../exceptions/mod.ts';
import { templatePolicy } from '../helpers/env.ts';
import {
  cleanup,
  comparable,
  connectTest,
  publishAll,
  readExceptions,
  testConfig,
  untilStreamMatches,
} from './support/live.ts';
import { replayOffline } from './support/runs.ts';

const POISON = 'poison-1';
const CAP = 3;

/**
 * A message that makes the detector's handler throw an unexpected error (a real rule, registered through
 * the detector's rule list, with a bug for one event): it is retried by restarting the task from its
 * snapshot, up to DOCKSIDE_MAX_DELIVERIES, then parked in the dead-letter stream and skipped; every other
 * event's exceptions are produced exactly once, as a replay without the poison produces them.
 */
describe('a message that keeps failing the detector', () => {
  const config = testConfig({
    POLICY_FILE: templatePolicy,
    DOCKSIDE_PARTITIONS: '2',
    DOCKSIDE_MAX_DELIVERIES: String(CAP),
    DOCKSIDE_RETRY_BACKOFF_MS: '20',
  });
  const policy = loadPolicy(config.policyFile);
  const names = streamNames(config.prefix);
  const logger = createLogger(config);
  let poisonCalls = 0;
  const buggy: Rule = {
    type: 'test_buggy_rule',
    subject: 'shipment',
    triggers: ['shipment.committed'],
    timeIndependent: true,
    evaluate(_facts, ctx) {
      if (ctx.event?.id !== POISON) return { drafts: [] };
      poisonCalls++;
      throw new TypeError(`cannot read properties of undefined (reading 'lane') for ${POISON}`);
    },
  };
  const events = generateScenario({
    shipments: 300,
    seed: 11,
    ticks: { partitions: config.partitions, partitionOf, afterMs: 30 * 86_400_000 },
  });
  const model = events.find((e) => e.type === 'shipment.committed') as CanonicalEvent;
  const poison = { ...model, id: POISON, shipmentId: 'S-POISON' } as CanonicalEvent;
  const withPoison = [...events.slice(0, events.length / 2), poison, ...events.slice(events.length / 2)];
  let nc: NatsConnection;
  const workers: DetectorWorker[] = [];
  const start = async (metrics = createMetrics()) => {
    const js = jetstream(nc);
    const jsm = await ensureStreams(nc, names, config);
    const deps = { nc, js, jsm, names, config, policy, logger, metrics, rules: [...rules, buggy] };
    const worker = await startDetectorWorker(deps);
    workers.push(worker);
    return worker;
  };
  const restores = async (metrics: ReturnType<typeof createMetrics>) =>
    (await metrics.detectorRestores.get()).values.reduce((n, v) => n + v.value, 0);

  beforeAll(async () => {
    nc = await connectTest();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await cleanup(nc, config);
    await nc.close();
  });

  it('ends in the dead-letter stream after the delivery cap, and the other events are all detected', async () => {
    const offline = await replayOffline(events, {
      policy,
      partitions: config.partitions,
      allowedLatenessMs: config.allowedLatenessMs,
    });
    expect(offline.summary.exceptions).toBeGreaterThan(50);
    const metrics = createMetrics();
    await start(metrics);
    await publishAll(nc, config, withPoison);
    const readout = await untilStreamMatches(nc, config, comparable(offline.exceptions), 120_000);
    expect([...readout.perMsgId.values()].every((n) => n === 1)).toBe(true);

    const jsm = await jetstreamManager(nc);
    const task = `events-${partitionOf(partitionKey(poison), config.partitions)}`;
    const stored = await jsm.streams.getMessage(names.deadLetterStream, {
      last_by_subj: names.deadLetterSubject(`detector:${task}`),
    });
    expect(stored).not.toBeNull();
    const letter = deadLetterSchema.parse(stored?.json());
    expect(letter).toMatchObject({
      source: `detector:${task}`,
      code: 'HANDLER_FAILED',
      reason: expect.stringMatching(
        new RegExp(`^TypeError: cannot read .*${POISON}.*failed on each of ${CAP} deliveries`),
      ),
    });
    expect(JSON.parse(letter.raw)).toMatchObject({ id: POISON, shipmentId: 'S-POISON' });
    // The position names the message: the events stream and its sequence there.
    const [stream, seq] = (letter.position ?? '').split('#');
    expect(stream).toBe(names.eventsStream);
    const original = await jsm.streams.getMessage(names.eventsStream, { seq: Number(seq) });
    expect(original?.string()).toBe(letter.raw);
    expect((await jsm.streams.info(names.deadLetterStream)).state.messages).toBe(1);

    // Each delivery ran the handler once; each failure restarted the partition's two tasks once.
    expect(poisonCalls).toBe(CAP);
    expect(await restores(metrics)).toBe(2 * config.partitions + 2 * CAP);
  });

  it('stays skipped: a new worker restores past it without running the handler or parking it again', async () => {
    await workers.shift()?.stop();
    const before = (await readExceptions(nc, config)).messages;
    const worker = await start();
    await worker.caughtUp();
    expect(poisonCalls).toBe(CAP);
    expect((await readExceptions(nc, config)).messages).toBe(before);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(names.deadLetterStream)).state.messages).toBe(1);
  });
});
