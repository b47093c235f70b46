import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/exceptions/scenario.ts';
import { streamNames } from '../../core/mod.ts';
import { detectorNames } from '../../exceptions/mod.ts';
import { cleanup, connectTest, publishAll, testConfig, until, untilStreamMatches } from './support/live.ts';
import {
  type Child,
  envOf,
  freePort,
  kill9,
  OwnNats,
  startDetect,
  stopGracefully,
} from './support/processes.ts';
import { TEMPLATE_POLICY, undisturbedRun } from './support/runs.ts';

// The three fault runs live in one file so they run one after the other, never competing for the CPU.
const NATS = 'nats://127.0.0.1:4222';

/**
 * kill -9 of the detector process at random points of a 200,000-event run: after every restart (same
 * worker id, so it reclaims its leases at once) it restores the partitions' snapshots and replays from
 * their sequences. The run must end with exactly the undisturbed exception set: every final state equal
 * to the offline replay's, and every exception state (id + version) stored once.
 */
describe('kill -9 during a 200,000-event run', () => {
  const config = testConfig({ POLICY_FILE: TEMPLATE_POLICY });
  const seed = Number(process.env.FAULT_SEED ?? Date.now() % 100_000);
  const children: Child[] = [];

  afterAll(async () => {
    for (const c of children) await kill9(c);
    const nc = await connectTest();
    await cleanup(nc, config);
    await nc.close();
  });

  it(`ends with the undisturbed exception set (seed ${seed})`, async () => {
    const { events, want } = await undisturbedRun(config, 22_500, 5);
    expect(events.length).toBeGreaterThanOrEqual(200_000);
    const t0 = Date.now();
    const log = (what: string) => console.log(`kill -9: ${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    const nc = await connectTest(NATS);
    await publishAll(nc, config, events);
    log('published');
    const jsm = await jetstreamManager(nc);
    const stored = async () =>
      (await jsm.streams.info(streamNames(config.prefix).exceptionsStream)).state.messages;
    const env = envOf(config, NATS);
    const rand = mulberry32(seed);
    // Three kills, each once the stream holds a random share (10–90%) of the final exception count.
    const points = [rand(), rand(), rand()]
      .map((r) => Math.floor((0.1 + 0.8 * r) * want.length))
      .sort((a, b) => a - b);
    for (const point of points) {
      const child = startDetect(env, 'fault-w1');
      children.push(child);
      await until(`${point} exception states stored`, async () => (await stored()) >= point, 120_000);
      await kill9(child);
      log(`killed at ${point}`);
    }
    const last = startDetect(env, 'fault-w1');
    children.push(last);
    const readout = await untilStreamMatches(nc, config, want, 150_000);
    log('done');
    const doubled = [...readout.perMsgId].filter(([, n]) => n > 1);
    expect(doubled).toEqual([]);
    await stopGracefully(last);
    await nc.close();
  }, 300_000);
});

/**
 * A restart of the nats-server (our own child, never the shared one) in the middle of a 200,000-event
 * run: publishes and consumers fail, the detector's tasks restart from their snapshots once NATS is back,
 * and the run still ends with exactly the undisturbed exception set, nothing stored twice.
 */
describe('nats-server restart during a 200,000-event run', () => {
  const config = testConfig({ POLICY_FILE: TEMPLATE_POLICY });
  let nats: OwnNats;
  const children: Child[] = [];

  afterAll(async () => {
    for (const c of children) await kill9(c);
    if (nats) {
      const nc = await connectTest(nats.url);
      await cleanup(nc, config);
      await nc.close();
      await nats.stop();
    }
  });

  it('ends with the undisturbed exception set', async () => {
    nats = new OwnNats(await freePort());
    await nats.start();
    const { events, want } = await undisturbedRun(config, 22_500, 9);
    expect(events.length).toBeGreaterThanOrEqual(200_000);
    const t0 = Date.now();
    const log = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    const nc = await connectTest(nats.url);
    await publishAll(nc, config, events);
    log('published');
    const jsm = await jetstreamManager(nc);
    const stream = streamNames(config.prefix).exceptionsStream;
    const stored = async () => (await jsm.streams.info(stream)).state.messages;

    const child = startDetect(envOf(config, nats.url), 'restart-w1');
    children.push(child);
    await until('a third of the exceptions stored', async () => (await stored()) >= want.length / 3, 120_000);
    log('restarting nats-server');
    await nats.stop();
    await nats.start();
    log('nats-server back');

    // The test's own client is not under test: read through a connection made after the restart.
    await nc.close();
    const after = await connectTest(nats.url);
    const readout = await untilStreamMatches(after, config, want, 150_000).catch((err: unknown) => {
      console.log(child.log().slice(-4_000));
      throw err;
    });
    log('matched');
    expect([...readout.perMsgId].filter(([, n]) => n > 1)).toEqual([]);
    expect(child.proc.exitCode).toBeNull();
    await stopGracefully(child);
    await after.close();
  }, 300_000);
});

/**
 * Three `dockside detect` processes share one run through NATS KV partition leases; one is killed with
 * SIGKILL mid-run. Its leases expire, the survivors take its partitions (restoring their snapshots and
 * replaying the stream from there), and the run ends with the undisturbed exception set.
 */
describe('three detector processes, one killed mid-run', () => {
  const config = testConfig({
    POLICY_FILE: TEMPLATE_POLICY,
    DOCKSIDE_PARTITIONS: '8',
    DOCKSIDE_LEASE_TTL_MS: '5000',
  });
  const children: Child[] = [];

  afterAll(async () => {
    for (const c of children) await kill9(c);
    const nc = await connectTest(NATS);
    await cleanup(nc, config);
    await nc.close();
  });

  it('share the partitions, and the survivors finish the dead one’s share exactly once', async () => {
    const { events, want } = await undisturbedRun(config, 6_000, 17);
    const nc = await connectTest(NATS);
    await publishAll(nc, config, events);
    const env = envOf(config, NATS);
    for (const id of ['p1', 'p2', 'p3']) children.push(startDetect(env, id));

    const leases = await new Kvm(nc).open(
      detectorNames(config.prefix, streamNames(config.prefix)).leaseBucket,
    );
    const owners = async () => {
      const byPartition = new Map<string, string>();
      for await (const k of await leases.keys('p.*')) {
        const e = await leases.get(k);
        if (e?.operation === 'PUT') byPartition.set(k, e.string());
      }
      return byPartition;
    };
    const t0 = Date.now();
    const log = (what: string) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    // Balanced: every partition owned, by all three, none holding more than its fair share (3 of 8).
    let shares: string[] = [];
    await until(
      'the three processes to share all partitions',
      async () => {
        shares = [...(await owners()).values()];
        const per = ['p1', 'p2', 'p3'].map((id) => shares.filter((o) => o === id).length);
        return shares.length === 8 && per.every((n) => n >= 2 && n <= 3);
      },
      60_000,
    );
    log('shared');
    expect(new Set(shares)).toEqual(new Set(['p1', 'p2', 'p3']));

    const victim = children[1];
    if (!victim) throw new Error('no victim');
    await kill9(victim);
    log('killed p2');
    await until(
      'the survivors to own every partition',
      async () => {
        const o = await owners();
        return o.size === 8 && ![...o.values()].includes('p2');
      },
      60_000,
    );

    log('taken over');
    const readout = await untilStreamMatches(nc, config, want, 120_000).catch((err: unknown) => {
      for (const c of children) console.log(c.log().slice(-3_000));
      throw err;
    });
    expect([...readout.perMsgId].filter(([, n]) => n > 1)).toEqual([]);
    for (const c of children) await stopGracefully(c);
    await nc.close();
  }, 240_000);
});
