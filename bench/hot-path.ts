import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import * as hdr from 'hdr-histogram-js';
import {
  type CanonicalEvent,
  type DetectedException,
  loadPolicy,
  partitionOf,
  streamNames,
} from '../core/mod.ts';
import {
  computeIncidents,
  deleteDetectorResources,
  detectorNames,
  incidentOptions,
} from '../exceptions/mod.ts';
import {
  BenchNats,
  bareConsumeAndAck,
  benchConfig,
  connectBench,
  detectorThroughput,
  publishEvents,
} from './exceptions/harness.ts';
import { generateScenario } from './exceptions/scenario.ts';

/**
 * The exceptions hot path, measured against a reference taken in the same run on the same machine:
 *  1. throughput: events/s through the full detector (consume, validate, detect, publish exceptions and
 *     partials) over a bare JetStream consume-and-ack loop of the same events (median of 3), also with
 *     incidents on (the run's exception states grouped once, its time added to the detector's);
 *  2. detection latency (ingest arrival → exception stored) and absence lag (deadline → exception stored)
 *     as HDR percentiles at a fixed offered load of 10,000 events/s from a separate process;
 *  3. peak RSS of a `dockside detect` process holding 1,000,000 shipments in flight, and its recovery
 *     time after kill -9 (restore the snapshots, replay the tail, caught up).
 * `node bin/run-ts.js bench/hot-path.ts [--quick]` — writes bench/results/exceptions-hot-path.json.
 */
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const results: Record<string, unknown> = { at: new Date().toISOString(), quick, node: process.version };
const nats = new BenchNats();
await nats.start();
const nc = await connectBench(nats.url);
const log = (msg: string) => process.stderr.write(`[hot-path] ${msg}\n`);

try {
  if (!only || only === 'throughput') await throughput();
  if (!only || only === 'latency') await latency();
  if (!only || only === 'million') await million();
} finally {
  await nc.close();
  await nats.stop();
}
mkdirSync('bench/results', { recursive: true });
// A partial run (--only=…) updates its own section of the last full results.
const file = 'bench/results/exceptions-hot-path.json';
const previous: Record<string, unknown> =
  only && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.exit(0);

async function throughput(): Promise<void> {
  const config = benchConfig(nats.url);
  const events = generateScenario({
    shipments: quick ? 3_000 : 10_000,
    ticks: { partitions: config.partitions, partitionOf, afterMs: 30 * 86_400_000 },
  });
  await publishEvents(nc, config, events);
  const names = streamNames(config.prefix);
  const jsm = await jetstreamManager(nc);
  const runs: {
    bare: number;
    detector: number;
    ratio: number;
    incidentsMs: number;
    withIncidents: number;
    ratioWithIncidents: number;
  }[] = [];
  const options = incidentOptions(loadPolicy(config.policyFile));
  for (let i = 0; i < 3; i++) {
    const bare = await bareConsumeAndAck(nc, config, events.length);
    const states: DetectedException[] = [];
    const det = await detectorThroughput(nc, config, events.length, (ex) => {
      states.push(ex);
    });
    await det.stop();
    // Incidents are grouped from the stored states (exceptions/incidents/view.ts), off the detector's path:
    // "with incidents on" adds one full grouping of every state this run published to the detector's time.
    const t0 = performance.now();
    const snapshot = computeIncidents(states, options);
    const incidentsMs = performance.now() - t0;
    const detectorMs = (events.length / det.eventsPerSecond) * 1000;
    const withIncidents = (events.length / (detectorMs + incidentsMs)) * 1000;
    runs.push({
      bare,
      detector: det.eventsPerSecond,
      ratio: det.eventsPerSecond / bare,
      incidentsMs,
      withIncidents,
      ratioWithIncidents: withIncidents / bare,
    });
    log(
      `throughput run ${i + 1}: bare ${bare.toFixed(0)}/s, detector ${det.eventsPerSecond.toFixed(0)}/s, ` +
        `${snapshot.incidents.length} incidents from ${states.length} states in ${incidentsMs.toFixed(0)} ms`,
    );
    // The next run starts from scratch: no snapshots, no exceptions published yet.
    await deleteDetectorResources(jsm, detectorNames(config.prefix, names));
    await jsm.streams.purge(names.exceptionsStream);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[1];
  results.throughput = {
    events: events.length,
    runs,
    medianRatio: median(runs.map((r) => r.ratio)),
    medianRatioWithIncidents: median(runs.map((r) => r.ratioWithIncidents)),
    target: 0.5,
  };
}

async function latency(): Promise<void> {
  const config = benchConfig(nats.url, {
    DOCKSIDE_ALLOWED_LATENESS_MS: '200',
    DOCKSIDE_IDLE_ADVANCE_MS: '1000',
    DOCKSIDE_TIMER_TICK_MS: '20',
  });
  const detection = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000,
    numberOfSignificantValueDigits: 3,
  });
  const absence = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000,
    numberOfSignificantValueDigits: 3,
  });
  const det = await detectorThroughput(nc, config, 0, (ex, info) => {
    if (info.duplicate) return;
    if (info.receivedAtMs !== undefined) detection.recordValue(Math.max(1, info.ackMs - info.receivedAtMs));
    else if (info.fromTimer && ex.type === 'late_scan' && ex.status === 'open') {
      absence.recordValue(Math.max(1, info.ackMs - Date.parse(ex.occurredAt)));
    }
  });
  const seconds = quick ? 8 : 20;
  const gen = spawn(
    process.execPath,
    ['bin/run-ts.js', 'bench/exceptions/load-generator.ts', '10000', String(seconds)],
    {
      env: {
        ...process.env,
        NATS_URL: nats.url,
        DOCKSIDE_PREFIX: config.prefix,
        DOCKSIDE_PARTITIONS: String(config.partitions),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const out = await collect(gen);
  await new Promise((r) => setTimeout(r, 3_000)); // the last deadlines (2 s after the last commitments) fire
  await det.stop();
  const offered = JSON.parse(out.trim() || '{}') as { sent?: number; seconds?: number };
  const pct = (h: hdr.Histogram) => ({
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    max: h.maxValue,
  });
  results.latency = {
    offeredEventsPerSecond:
      offered.sent && offered.seconds ? Math.round(offered.sent / offered.seconds) : null,
    allowedLatenessMs: config.allowedLatenessMs,
    detectionMs: pct(detection),
    absenceLagMs: pct(absence),
    targets: { detectionP99Ms: 50, absenceLagP99Ms: 1_000 },
  };
  log(`latency: ${JSON.stringify(results.latency)}`);
}

async function million(): Promise<void> {
  const shipments = quick ? 100_000 : 1_000_000;
  const config = benchConfig(nats.url, {
    DOCKSIDE_SNAPSHOT_INTERVAL_MS: '15000',
    DOCKSIDE_LEASE_TTL_MS: '10000',
  });
  const far = Date.parse('2030-01-01T00:00:00Z');
  const start = Date.parse('2026-03-02T00:00:00Z');
  const batch: CanonicalEvent[] = [];
  const t = Date.now();
  for (let i = 0; i < shipments; i++) {
    batch.push({
      id: `M${i}:c`,
      type: 'shipment.committed',
      occurredAt: new Date(start + i * 50).toISOString(),
      source: 'bench',
      schemaVersion: 1,
      shipmentId: `M${i}`,
      customerId: `C${i % 5_000}`,
      customerTier: i % 3 === 0 ? 'tier1' : 'tier2',
      warehouseId: `W${i % 20}`,
      lane: `W${i % 20}>R${i % 7}`,
      promisedShipBy: new Date(far + i).toISOString(),
      promisedDeliverBy: new Date(far + 86_400_000 + i).toISOString(),
      carrierId: `K${i % 9}`,
    });
    if (batch.length === 50_000) await publishEvents(nc, config, batch.splice(0));
  }
  await publishEvents(nc, config, batch.splice(0));
  log(`published ${shipments} commitments in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const env = {
    ...process.env,
    NATS_URL: nats.url,
    DOCKSIDE_PREFIX: config.prefix,
    DOCKSIDE_PARTITIONS: String(config.partitions),
    DOCKSIDE_SNAPSHOT_INTERVAL_MS: String(config.snapshotIntervalMs),
    DOCKSIDE_LEASE_TTL_MS: String(config.leaseTtlMs),
    DOCKSIDE_DATA_DIR: config.dataDir,
    LOG_LEVEL: 'info',
  };
  const first = startDetect(env);
  const loadStarted = Date.now();
  await first.line(/detector caught up/);
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  // Let a full round of snapshots cover the state, then measure and kill.
  await new Promise((r) => setTimeout(r, config.snapshotIntervalMs * 2 + 5_000));
  const peakRssMb = vmHwmMb(first.proc.pid);
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));
  const killedAt = Date.now();
  const second = startDetect(env);
  await second.line(/detector caught up/);
  const recoverySeconds = (Date.now() - killedAt) / 1000;
  const restartedRssMb = vmHwmMb(second.proc.pid);
  second.proc.kill('SIGTERM');
  await new Promise((r) => second.proc.once('exit', r));
  results.million = {
    shipmentsInFlight: shipments,
    firstLoadSeconds: loadSeconds,
    peakRssMb,
    restartedPeakRssMb: restartedRssMb,
    recoverySecondsAfterKill9: recoverySeconds,
    targets: { peakRssMb: 1_024, recoverySeconds: 30 },
  };
  log(`million: ${JSON.stringify(results.million)}`);
}

function startDetect(env: NodeJS.ProcessEnv) {
  const proc = spawn(process.execPath, ['bin/dockside.js', 'detect', '--worker-id', 'bench-million'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  proc.stderr?.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return {
    proc,
    line: (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (re.test(text)) {
            clearInterval(timer);
            resolve();
          }
        };
        const timer = setInterval(check, 100);
        proc.once('exit', () => {
          clearInterval(timer);
          reject(new Error(`detect exited before ${re}: ${text.slice(-2_000)}`));
        });
      }),
  };
}

function vmHwmMb(pid: number | undefined): number | null {
  if (!pid) return null;
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Math.round(Number(m[1]) / 1024) : null;
}

function collect(proc: ChildProcess): Promise<string> {
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve) => proc.once('exit', () => resolve(out)));
}
