import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { startDockside } from '../app/runtime.ts';
import { createSimulator } from '../app/simulator/simulator.ts';
import { connectNats, createLogger, deleteStreams, loadConfig, queryRows, streamNames } from '../core/mod.ts';
import { writeResult } from './lib/results.ts';

/**
 * Bounded storage: 24 h of simulated 3PL traffic with event time accelerated into a few minutes of wall
 * time, through a whole in-process Dockside (embedded chDB, the shared nats-server, a unique prefix whose
 * streams are deleted after). Every `--sample` seconds it records the data directory's size on disk (chDB),
 * and the prefix's JetStream bytes (stream info `state.bytes`, summed over every stream, KV bucket and
 * object store), and says whether each stopped growing.
 *
 * The compressed analogue of retention: NATS limits are wall-clock ages, so every stream's max age is set
 * to `--max-age` seconds (the minimum JetStream config allows is 60 s), i.e. several retention periods
 * within the run; the steady state is then rate × age × bytes per message. ClickHouse TTLs are whole days
 * of storage time (`received_at`), which a few minutes cannot compress honestly: the bench measures bytes
 * per stored event after merges, and the bound for N retain-days follows from it (bench/RESULTS.md).
 *
 *   node bin/run-ts.js bench/retention.ts [--minutes 5] [--rate 800] [--max-age 60] [--sample 15]
 */
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '800' },
    'max-age': { type: 'string', default: '60' },
    sample: { type: 'string', default: '15' },
  },
});
const wallMs = Number(args.minutes) * 60_000;
const realRate = Number(args.rate);
const maxAgeMs = Number(args['max-age']) * 1000;
const sampleMs = Number(args.sample) * 1000;
const DAY_MS = 86_400_000;
const speedup = DAY_MS / wallMs;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dockside-retention-'));
const prefix = `bench_ret_${Date.now().toString(36)}`;
const age = String(maxAgeMs);
const config = loadConfig(process.env, {
  DOCKSIDE_PREFIX: prefix,
  DOCKSIDE_DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  DOCKSIDE_FORECAST_INTERVAL_MS: '0',
  DOCKSIDE_AUTH: 'off',
  DOCKSIDE_INGEST_MAX_AGE_MS: age,
  DOCKSIDE_EVENTS_MAX_AGE_MS: age,
  DOCKSIDE_EXCEPTIONS_MAX_AGE_MS: age,
  DOCKSIDE_DLQ_MAX_AGE_MS: age,
  DOCKSIDE_DETECTOR_MAX_AGE_MS: age,
  DOCKSIDE_OUTBOX_MAX_AGE_MS: age,
  DOCKSIDE_DEDUPE_WINDOW_MS: String(Math.min(maxAgeMs, 120_000)),
  // The decision-log stream ages by the policy's retain_days (whole days): within a compressed day its
  // byte cap is what bounds it.
  DOCKSIDE_AUDIT_MAX_BYTES: String(8 * 1024 * 1024),
});
const logger = createLogger(config);
const names = streamNames(prefix);

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    try {
      total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
    } catch {
      // chDB renames parts while merging: a file gone between listing and stat is simply not counted.
    }
  }
  return total;
}

interface Sample {
  wallS: number;
  eventTimeH: number;
  published: number;
  dataDirMiB: number;
  natsMiB: number;
  natsMessages: number;
  biggest: string;
}

const dockside = await startDockside(config, { logger, listen: false });
const jsm = await jetstreamManager(dockside.nc);
const owned = [`${names.streamPrefix}_`, `KV_${names.streamPrefix}_`, `OBJ_${names.streamPrefix}_`];
const MiB = 1024 * 1024;

async function sample(started: number, eventStart: number, eventNow: number, published: number) {
  let bytes = 0;
  let messages = 0;
  const per: [string, number][] = [];
  for await (const info of jsm.streams.list()) {
    if (!owned.some((p) => info.config.name.startsWith(p))) continue;
    bytes += info.state.bytes;
    messages += info.state.messages;
    per.push([info.config.name.slice(names.streamPrefix.length), info.state.bytes]);
  }
  per.sort((a, b) => b[1] - a[1]);
  const s: Sample = {
    wallS: Math.round((Date.now() - started) / 1000),
    eventTimeH: Math.round(((eventNow - eventStart) / 3_600_000) * 10) / 10,
    published,
    dataDirMiB: Math.round((dirBytes(dataDir) / MiB) * 10) / 10,
    natsMiB: Math.round((bytes / MiB) * 10) / 10,
    natsMessages: messages,
    biggest: per
      .slice(0, 3)
      .map(([n, b]) => `${n} ${(b / MiB).toFixed(1)}`)
      .join(', '),
  };
  console.info(JSON.stringify(s));
  return s;
}

const samples: Sample[] = [];
let published = 0;
let exitCode = 0;
try {
  // Virtual event time runs from 24 h ago to now, `speedup` times faster than the wall clock.
  const sim = createSimulator({ rate: realRate / speedup, seed: 7, runId: prefix });
  const started = Date.now();
  const eventStart = started - DAY_MS;
  let eventLast = eventStart;
  let nextSample = started;
  while (Date.now() - started < wallMs) {
    const eventNow = eventStart + (Date.now() - started) * speedup;
    const events = sim.step(eventNow, eventNow - eventLast);
    eventLast = eventNow;
    // Awaiting each tick's acks is the back-pressure: a slow pipeline slows the simulator, not memory.
    await Promise.all(events.map((e) => dockside.publisher.publish(e)));
    published += events.length;
    if (Date.now() >= nextSample) {
      samples.push(await sample(started, eventStart, eventNow, published));
      nextSample += sampleMs;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  samples.push(await sample(started, eventStart, eventStart + DAY_MS, published));

  const rows = await queryRows<{ n: string }>(
    dockside.store,
    `SELECT count() AS n FROM ${dockside.store.table('events')} FINAL`,
  );
  const stored = Number(rows[0]?.n ?? 0);
  const chParts = await queryRows<{ db: string; bytes: string }>(
    dockside.store,
    'SELECT database AS db, sum(bytes_on_disk) AS bytes FROM system.parts WHERE active GROUP BY database',
  );
  const db = dockside.store.table('events').split('.')[0];
  const chBytes = Number(chParts.find((p) => p.db === db)?.bytes ?? 0);
  const chSystemBytes = Number(chParts.find((p) => p.db === 'system')?.bytes ?? 0);

  // Flattening: the NATS bytes over the last third of the run against the middle third (after the first
  // max-age period the streams should only turn over). Growth under 15 % counts as flat.
  const third = Math.floor(samples.length / 3);
  const mid = samples.slice(third, 2 * third).map((s) => s.natsMiB);
  const last = samples.slice(2 * third).map((s) => s.natsMiB);
  const midMax = Math.max(...mid);
  const lastMax = Math.max(...last);
  const natsFlat = lastMax <= midMax * 1.15;
  const summary = {
    wallMinutes: wallMs / 60_000,
    speedup: Math.round(speedup),
    eventsPerRealSecond: Math.round(published / (wallMs / 1000)),
    eventsPerEventTimeSecond: Math.round((published / 86_400) * 100) / 100,
    published,
    storedEventRows: stored,
    streamMaxAgeS: maxAgeMs / 1000,
    natsPeakMiB: Math.max(...samples.map((s) => s.natsMiB)),
    natsMiddleThirdMaxMiB: midMax,
    natsLastThirdMaxMiB: lastMax,
    natsFlat,
    dataDirFinalMiB: samples.at(-1)?.dataDirMiB,
    clickhouseActivePartsMiB: Math.round((chBytes / MiB) * 10) / 10,
    clickhouseSystemLogsMiB: Math.round((chSystemBytes / MiB) * 10) / 10,
    clickhouseBytesPerStoredEvent: stored ? Math.round(chBytes / stored) : null,
  };
  console.info(JSON.stringify({ summary }));
  console.info(`wrote ${writeResult('retention', { summary, samples })}`);
} catch (err) {
  logger.error({ err }, 'retention bench failed');
  exitCode = 1;
} finally {
  await dockside.stop();
  const nc = await connectNats(config, logger);
  await deleteStreams(nc, names);
  await nc.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
