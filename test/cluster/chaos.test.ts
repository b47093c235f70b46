import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateScenario } from '../../bench/exceptions/scenario.ts';
import { type CanonicalEvent, loadConfig, partitionOf, streamNames } from '../../core/mod.ts';
import { loadPolicy } from '../../core/policy.ts';
import { comparable, readExceptions, untilStreamMatches } from '../exceptions/support/live.ts';
import { replayOffline } from '../exceptions/support/runs.ts';
import { testAuth } from '../helpers/auth.ts';
import { type RunningCli, spawnCli } from '../helpers/cli.ts';
import { removeStreams } from '../helpers/dockside.ts';
import { repoRoot, tempDir, templatePolicy, uniquePrefix } from '../helpers/env.ts';
import { type NatsCluster, type NatsNode, startNatsCluster } from '../helpers/nats-cluster.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The clustered-NATS acceptance check, scaled for CI (DOCKSIDE_CHAOS_EVENTS=200000 by hand):
 * two `dockside up` processes on a 3-node JetStream cluster with R3 streams take a seeded scenario over
 * HTTP while (1) the EVENTS stream leader's nats-server is SIGKILLed and restarted, (2) a second node is
 * stopped for 20 s, and (3) one Dockside process is SIGKILLed and started again.
 *
 * What "an undisturbed run" is here, honestly: chDB is one data directory per process, so each process
 * stores the events and exceptions it consumed in its own ClickHouse; a shared ReplacingMergeTree would
 * hold the union of the two by id, so the union (by id, latest version) is what is compared. The
 * reference for the exception set is `replay` of the same events (the detector with nothing disturbed;
 * test/exceptions/live-vs-replay.test.ts shows an undisturbed live run equals it), and for the event rows
 * the generated ids themselves. "None doubled" is asserted where doubling would be visible: the EVENTS
 * stream holds each event once despite the client's retries, and the EXCEPTIONS stream each
 * (id, version) once; ClickHouse rows are per id by construction, and the raw row count (before merges)
 * and the overlap between the two processes are reported.
 */
const N = Number(process.env.DOCKSIDE_CHAOS_EVENTS ?? 20_000);
const RATE = Number(process.env.DOCKSIDE_CHAOS_RATE ?? 500);
const DOWN_MS = Number(process.env.DOCKSIDE_CHAOS_DOWN_MS ?? 20_000);
const BATCH = 250;
const PARTITIONS = 4;
const LATENESS_MS = 600_000;
/** Publishing takes N / RATE seconds; detection, the reference replay and the readout scale with N too. */
const TEST_MS = Math.max(600_000, Math.round((N / RATE) * 2_000 + N * 2));

const prefix = uniquePrefix('chaos');
const auth = testAuth();
const dirs = [tempDir('chaos-a'), tempDir('chaos-b')];
let cluster: NatsCluster;
const procs: (RunningCli | undefined)[] = [undefined, undefined];
const urls: (string | undefined)[] = [undefined, undefined];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function envFor(i: number): Record<string, string> {
  return {
    NATS_URL: cluster.url,
    DOCKSIDE_PREFIX: prefix,
    DOCKSIDE_DATA_DIR: dirs[i]?.dir ?? '',
    DOCKSIDE_JWT_SECRET: auth.secret,
    DOCKSIDE_FORECAST_INTERVAL_MS: '0',
    DOCKSIDE_REPLICAS: '3',
    DOCKSIDE_PARTITIONS: String(PARTITIONS),
    DOCKSIDE_ALLOWED_LATENESS_MS: String(LATENESS_MS),
    // Event time must never jump to the wall clock while the cluster is disturbed (the scenario is in the past).
    DOCKSIDE_IDLE_ADVANCE_MS: String(24 * 3_600_000),
    DOCKSIDE_SNAPSHOT_INTERVAL_MS: '1000',
    DOCKSIDE_LEASE_TTL_MS: '3000',
    POLICY_FILE: templatePolicy,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
}

async function startUp(i: number): Promise<void> {
  const p = spawnCli(['up'], envFor(i));
  procs[i] = p;
  const url = await waitFor(
    `dockside up #${i} to listen`,
    () =>
      p.child.exitCode !== null ? null : /"url":"(http:\/\/[^"]+)"[^\n]*dockside is up/.exec(p.stderr())?.[1],
    90_000,
  );
  if (url === null) throw new Error(`dockside up #${i} exited: ${p.stderr().slice(-3000)}`);
  urls[i] = url;
}

async function stopUp(i: number, signal: NodeJS.Signals): Promise<void> {
  const p = procs[i];
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

/** Posts one NDJSON batch to whichever process answers, until every item is accepted or a duplicate. */
async function postBatch(batch: readonly CanonicalEvent[], turn: number): Promise<number> {
  const body = batch.map((e) => JSON.stringify(e)).join('\n');
  for (let attempt = 0; ; attempt++) {
    const url = urls[(turn + attempt) % 2];
    try {
      const res = await fetch(`${url}/api/events`, {
        method: 'POST',
        headers: { ...auth.headersFor('ingest'), 'content-type': 'application/x-ndjson' },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const out = (await res.json()) as { accepted?: number; duplicate?: number };
      if (res.ok && (out.accepted ?? 0) + (out.duplicate ?? 0) === batch.length) return attempt;
    } catch {
      // A process being killed or NATS failing over: the same batch again (ids dedupe it).
    }
    await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
  }
}

describe('a 3-node JetStream cluster losing nodes, and a Dockside process', () => {
  const policy = loadPolicy(templatePolicy);
  const events = generateScenario({
    shipments: Math.max(50, Math.round(N / 9.1)),
    seed: 15,
    ticks: { partitions: PARTITIONS, partitionOf, afterMs: 30 * 86_400_000 },
  });
  const names = streamNames(prefix);

  beforeAll(async () => {
    cluster = await startNatsCluster('chaos');
    // Both at once on the fresh cluster, as `docker compose --scale dockside=2` does: they race to declare
    // the same R3 streams, buckets and consumers.
    await Promise.all([startUp(0), startUp(1)]);
  }, 120_000);
  afterAll(async () => {
    await stopUp(0, 'SIGKILL');
    await stopUp(1, 'SIGKILL');
    if (cluster) await removeStreams(prefix, cluster.url).catch(() => undefined);
    await cluster?.close();
    for (const d of dirs) d.remove();
  });

  it(
    'stores the same exceptions and event rows as an undisturbed run: nothing lost, nothing doubled',
    async () => {
      const started = Date.now();
      const chaos: string[] = [];
      // Each step is said when it happens too, so a run that stalls shows where.
      const mark = (step: string) => {
        chaos.push(step);
        console.error(JSON.stringify({ chaosStep: step }));
      };
      let published = 0;
      let retries = 0;
      const at = (share: number) => published >= events.length * share;
      // A long hand run (200,000 events) says where it is every 15 s, so a stall shows while it happens.
      const watcher = await cluster.client();
      const progress = setInterval(() => {
        void (async () => {
          const m = await jetstreamManager(watcher);
          const pending: number[] = [];
          for await (const c of m.consumers.list(names.eventsStream))
            pending.push(c.num_pending + c.num_ack_pending);
          const stored = (await m.streams.info(names.eventsStream)).state.messages;
          console.error(
            JSON.stringify({
              chaosProgress: { s: (Date.now() - started) / 1000, published, stored, pending },
            }),
          );
        })().catch(() => undefined);
      }, 15_000);
      const publishing = (async () => {
        for (let i = 0, turn = 0; i < events.length; i += BATCH, turn++) {
          const batch = events.slice(i, i + BATCH);
          retries += await postBatch(batch, turn);
          published += batch.length;
          const ahead = (published / RATE) * 1000 - (Date.now() - started);
          if (ahead > 0) await sleep(ahead);
        }
      })();

      // (1) SIGKILL the EVENTS leader's node; bring it back once another node leads.
      await waitFor('20 % published', () => (at(0.2) ? true : undefined), TEST_MS);
      const leader = await cluster.leaderOf(names.eventsStream);
      await leader.stop('SIGKILL');
      mark(`${(Date.now() - started) / 1000}s: SIGKILL ${leader.name} (EVENTS leader)`);
      const next = await waitFor(
        'a new EVENTS leader',
        async () => {
          const n = await cluster.leaderOf(names.eventsStream);
          return n.name === leader.name ? undefined : n;
        },
        60_000,
      );
      await leader.start();
      mark(`${(Date.now() - started) / 1000}s: ${leader.name} restarted, ${next.name} leads`);

      // (2) Stop a second node for DOWN_MS.
      await waitFor('45 % published', () => (at(0.45) ? true : undefined), TEST_MS);
      const second = cluster.nodes.find((n) => n.name !== leader.name) as NatsNode;
      await second.stop('SIGTERM');
      mark(`${(Date.now() - started) / 1000}s: ${second.name} stopped`);
      await sleep(DOWN_MS);
      await second.start();
      mark(`${(Date.now() - started) / 1000}s: ${second.name} started`);

      // (3) SIGKILL one Dockside process and start it again on its data directory.
      await waitFor('80 % published', () => (at(0.8) ? true : undefined), TEST_MS);
      await stopUp(1, 'SIGKILL');
      mark(`${(Date.now() - started) / 1000}s: dockside #1 SIGKILLed`);
      await startUp(1);
      mark(`${(Date.now() - started) / 1000}s: dockside #1 up again`);
      await publishing;
      const publishedMs = Date.now() - started;
      mark(`${publishedMs / 1000}s: all ${events.length} events published`);

      // The reference: the detector over the same events with nothing disturbed.
      const offline = await replayOffline(events, {
        policy,
        partitions: PARTITIONS,
        allowedLatenessMs: LATENESS_MS,
      });
      const want = comparable(offline.exceptions);
      expect(want.length).toBeGreaterThan(100);

      const nc = await cluster.client();
      const config = loadConfig({}, { DOCKSIDE_PREFIX: prefix, NATS_URL: cluster.url });
      const readout = await untilStreamMatches(nc, config, want, 180_000).catch(async (err: unknown) => {
        // Say how far off it is (a lagging detector, or lost/extra/different states) before failing.
        const got = comparable((await readExceptions(nc, config)).finals.values());
        const wanted = new Set(want);
        const have = new Set(got);
        const m = await jetstreamManager(nc);
        const events = (await m.streams.info(names.eventsStream)).state.messages;
        // A lagging detector shows pending messages; a stalled one none while states are missing.
        const consumers: Record<string, [number, number]> = {};
        for await (const c of m.consumers.list(names.eventsStream))
          consumers[c.name] = [c.num_pending, c.num_ack_pending];
        console.error(
          JSON.stringify({
            chaosMismatch: {
              want: want.length,
              got: got.length,
              missing: want.filter((w) => !have.has(w)).slice(0, 5),
              missingCount: want.filter((w) => !have.has(w)).length,
              extraCount: got.filter((g) => !wanted.has(g)).length,
              extra: got.filter((g) => !wanted.has(g)).slice(0, 5),
              eventsInStream: events,
              eventConsumersPendingAckPending: consumers,
              timeline: chaos,
            },
          }),
        );
        // The processes' own warnings and errors (pino level ≥ 40), last ones first to read.
        procs.forEach((p, i) => {
          const worrying = (p?.stderr() ?? '').split('\n').filter((l) => /"level":(4|5|6)0/.test(l));
          console.error(`dockside #${i} warnings and errors (last 40):\n${worrying.slice(-40).join('\n')}`);
        });
        throw err;
      });
      mark(`${(Date.now() - started) / 1000}s: exception states match the replay`);
      expect([...readout.perMsgId.values()].every((n) => n === 1)).toBe(true);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info(names.eventsStream)).state.messages).toBe(events.length);

      // Every sink has stored and acked everything it was given; then both processes stop cleanly.
      await waitFor(
        'every consumer of EVENTS and EXCEPTIONS to be drained',
        async () => {
          for (const stream of [names.eventsStream, names.exceptionsStream]) {
            for await (const c of jsm.consumers.list(stream)) {
              if (c.config.durable_name && (c.num_pending > 0 || c.num_ack_pending > 0)) return undefined;
            }
          }
          return true;
        },
        180_000,
      );
      await nc.close();
      clearInterval(progress);
      await watcher.close();
      mark(`${(Date.now() - started) / 1000}s: consumers drained; stopping both processes`);
      await Promise.all([stopUp(0, 'SIGTERM'), stopUp(1, 'SIGTERM')]);
      mark(`${(Date.now() - started) / 1000}s: both stopped`);

      const stored = await Promise.all([0, 1].map(readStore));
      const union = new Set(stored.flatMap((s) => s.eventIds));
      const storedByB = new Set(stored[1]?.eventIds);
      const overlap = stored[0]?.eventIds.filter((id) => storedByB.has(id)).length ?? 0;
      const ids = new Set(events.map((e) => e.id));
      const lost = [...ids].filter((id) => !union.has(id));
      const foreign = [...union].filter((id) => !ids.has(id));

      const latest = new Map<string, { version: number; status: string }>();
      for (const row of stored.flatMap((s) => s.exceptions)) {
        const prev = latest.get(row.id);
        if (!prev || prev.version < row.version)
          latest.set(row.id, { version: row.version, status: row.status });
      }
      const differing = offline.exceptions.filter((e) => {
        const got = latest.get(e.id);
        return got?.version !== e.version || got.status !== e.status;
      });
      // The readout first, so a failing hand run still says how far off it was.
      console.info(
        JSON.stringify({
          chaos: {
            events: events.length,
            exceptions: offline.exceptions.length,
            publishSeconds: publishedMs / 1000,
            totalSeconds: (Date.now() - started) / 1000,
            batchRetries: retries,
            eventRowsPerProcess: stored.map((s) => s.eventIds.length),
            eventRowsRaw: stored.map((s) => s.eventRowsRaw),
            storedByBoth: overlap,
            lostEventRows: lost.length,
            foreignEventRows: foreign.length,
            exceptionRows: latest.size,
            exceptionRowsDiffering: differing.length,
            timeline: chaos,
          },
        }),
      );
      expect(lost.slice(0, 5)).toEqual([]);
      expect(foreign.slice(0, 5)).toEqual([]);
      expect(union.size).toBe(events.length);
      expect(latest.size).toBe(offline.exceptions.length);
      expect(differing.slice(0, 5).map((e) => [e.id, e.version, e.status, latest.get(e.id)])).toEqual([]);
    },
    TEST_MS,
  );
});

const run = promisify(execFile);

const readoutSchema = z.object({
  eventRowsRaw: z.number(),
  eventIds: z.array(z.string()),
  exceptions: z.array(z.object({ id: z.string(), version: z.number(), status: z.string() })),
});

async function readStore(i: number): Promise<z.infer<typeof readoutSchema>> {
  const { stdout } = await run(
    process.execPath,
    [path.join(repoRoot, 'bin/run-ts.js'), path.join(repoRoot, 'test/cluster/support/store-readout.ts')],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...envFor(i), LOG_LEVEL: 'silent' },
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return readoutSchema.parse(JSON.parse(stdout));
}
