import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { SignJWT } from 'jose';
import { startDockside } from '../app/runtime.ts';
import { chTime, connectNats, createLogger, deleteStreams, loadConfig, streamNames } from '../core/mod.ts';
import { dayFromMs, msFromDay } from '../forecasting/days.ts';
import { DEFAULT_RUN_OPTIONS, runForecasts, syntheticLanes } from '../forecasting/mod.ts';
import type { EventRow } from '../ingest/mod.ts';
import { writeResult } from './lib/results.ts';
import { peakRssMiB } from './lib/stats.ts';

/**
 * The planner API's latency at a fixed offered load: `GET /api/forecasts?lane=<one lane>` against a whole
 * Dockside (`startDockside`, listening, authentication on, a planner's HS256 token) whose store holds
 * forecasts for 20 lanes × 400 days of `shipment.committed` events, run with the default models.
 * Reference in the same run, same rate and duration: `GET /healthz` (public, no store read). Also the CSV form.
 * Load: open loop from a separate process (this file with --generator), sends scheduled by time and never
 * waiting for answers, latency counted from the scheduled send (coordinated omission included), keep-alive.
 * Rate limits are per client address: the planner API allows 120/min per client and is not configurable from
 * the config, so requests come through a trusted proxy (DOCKSIDE_TRUST_PROXY=127.0.0.1) with X-Forwarded-For
 * naming a new virtual client every 100 requests — many planners behind one proxy. A 1 s probe from one
 * client shows what one client at this rate gets.
 * A phase whose oldest request waited --give-up seconds is stopped (saturated; its percentiles are lower bounds).
 * Usage: node bin/run-ts.js bench/forecast-api.ts [--seconds=20] [--rate=500] [--warmup=3] [--give-up=10]
 *   [--lanes=20] [--days=400]
 */
const arg = (name: string, fallback: number) => {
  const v = Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3));
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const SECONDS = arg('seconds', 20);
const RATE = arg('rate', 500);
const WARMUP = arg('warmup', 3);
const LANES = arg('lanes', 20);
const DAYS = arg('days', 400);
/** Give up on a phase once a request has waited this long: the server is saturated, the rest would only queue. */
const GIVE_UP_S = arg('give-up', 10);
const PER_CLIENT = 100;

type Check = 'forecast' | 'csv' | 'health' | 'me' | 'none';
interface Phase {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly rate: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly check: Check;
  readonly lane?: string;
  /** One fixed client address instead of a new one every PER_CLIENT requests. */
  readonly oneClient?: boolean;
}
interface PhaseResult {
  readonly name: string;
  readonly sent: number;
  /** Responses received (warm-up included); `measured` also counts aborted requests (see saturated). */
  readonly completed: number;
  readonly measured: number;
  readonly failures: number;
  readonly statuses: Record<string, number>;
  readonly firstFailure?: string;
  readonly achievedPerSec: number;
  readonly bytes: number;
  /** Gave up (see GIVE_UP_S): the percentiles are lower bounds (aborted requests count with their wait so far). */
  readonly saturated: boolean;
  readonly ms: { p50: number; p95: number; p99: number; p999: number; max: number };
}

const log = (msg: string) => process.stderr.write(`[forecast-api] ${msg}\n`);

if (process.argv.includes('--generator')) generator();
else await main();

/** The load generator (child process): runs the phases the parent sends, one at a time. */
function generator(): void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let seq = 0;
  process.on('message', (message) => {
    void runPhase(message as Phase).then((r) => process.send?.(r));
  });
  process.on('disconnect', () => {
    agent.destroy();
    process.exit(0);
  });

  function valid(check: Check, lane: string | undefined, status: number, type: string, body: string) {
    if (check === 'none') return true;
    if (status !== 200) return false;
    if (check === 'health') return body === '{"ok":true}';
    if (check === 'me') return body.includes('"userId":"bench-planner"');
    if (check === 'csv') {
      const rows = body.trim().split('\n').slice(1);
      return type.startsWith('text/csv') && rows.length > 0 && rows.every((l) => l.startsWith(`${lane},`));
    }
    const doc = JSON.parse(body) as { data?: { lane?: string; points?: { intervals?: unknown[] }[] }[] };
    const item = doc.data?.[0];
    if (!item || doc.data?.length !== 1 || item.lane !== lane) return false;
    return !!item.points?.length && !!item.points[0]?.intervals?.length;
  }

  function runPhase(p: Phase): Promise<PhaseResult> {
    const histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const total = Math.round(p.rate * (p.warmup + p.seconds));
    const interval = 1000 / p.rate;
    const start = performance.now() + 20;
    const measureFrom = start + p.warmup * 1000;
    const target = new URL(p.url);
    const statuses: Record<string, number> = {};
    let failures = 0;
    let firstFailure: string | undefined;
    let done = 0;
    let measured = 0;
    let completed = 0;
    let completedMeasured = 0;
    let bytes = 0;
    let lastEnd = measureFrom;
    let i = 0;
    let saturated = false;
    /** In flight, oldest first (a Map iterates in insertion order). */
    const inflight = new Map<number, { scheduled: number; req: http.ClientRequest }>();
    return new Promise((resolve) => {
      const finish = () => {
        const ms = (us: number) => Math.round(us / 10) / 100;
        const at = (percentile: number) => ms(histogram.getValueAtPercentile(percentile));
        resolve({
          name: p.name,
          sent: total,
          completed,
          measured,
          failures,
          statuses,
          ...(firstFailure ? { firstFailure } : {}),
          achievedPerSec: Math.round((completedMeasured / Math.max(1, lastEnd - measureFrom)) * 1e4) / 10,
          saturated,
          bytes,
          ms: { p50: at(50), p95: at(95), p99: at(99), p999: at(99.9), max: ms(histogram.maxValue) },
        });
        histogram.destroy();
      };
      const answered = (id: number, outcome: string, ok: boolean) => {
        const scheduled = inflight.get(id)?.scheduled;
        if (scheduled === undefined) return;
        inflight.delete(id);
        const end = performance.now();
        statuses[outcome] = (statuses[outcome] ?? 0) + 1;
        if (!ok) {
          failures++;
          firstFailure ??= outcome;
        }
        if (scheduled >= measureFrom) {
          measured++;
          histogram.recordValue(Math.max(1, Math.round((end - scheduled) * 1000)));
        }
        if (++done === total) finish();
      };
      const giveUp = () => {
        saturated = true;
        const unsent = total - i;
        statuses['not sent: saturated'] = unsent;
        failures += unsent;
        i = total;
        done += unsent;
        for (const [id, { req }] of [...inflight]) {
          answered(id, 'aborted: saturated', false);
          req.destroy();
        }
      };
      const send = (id: number, scheduled: number) => {
        const client = p.oneClient ? 0 : Math.floor(seq++ / PER_CLIENT) + 1;
        const forwarded = `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}`;
        const req = http.get(
          target,
          { agent, headers: { ...p.headers, 'x-forwarded-for': forwarded }, timeout: 30_000 },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              completed++;
              // Throughput: answers received after the warm-up, whenever they were scheduled.
              if (performance.now() >= measureFrom) {
                completedMeasured++;
                lastEnd = performance.now();
              }
              const body = Buffer.concat(chunks).toString('utf8');
              bytes = body.length;
              const status = res.statusCode ?? 0;
              let ok = false;
              try {
                ok = valid(p.check, p.lane, status, String(res.headers['content-type'] ?? ''), body);
              } catch {}
              answered(id, ok ? String(status) : `${status}: ${body.slice(0, 200)}`, ok);
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        inflight.set(id, { scheduled, req });
        req.on('error', (err) => answered(id, `error: ${err.message}`, false));
      };
      // Every send whose time has come goes out on each tick, whatever is still in flight (open loop).
      const tick = () => {
        const now = performance.now();
        const oldest = inflight.values().next().value;
        if (oldest && now - oldest.scheduled > GIVE_UP_S * 1000) return giveUp();
        while (i < total && start + i * interval <= now) send(i, start + interval * i++);
        if (i < total) setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
        else if (inflight.size > 0) setTimeout(tick, 100);
      };
      setTimeout(tick, Math.max(0, start - performance.now()));
    });
  }
}

/** Lanes between eight hubs (distinct up to 56), warehouse = origin. */
function laneName(i: number): { lane: string; warehouse: string } {
  const hubs = ['ATL', 'CHI', 'DAL', 'LAX', 'NYC', 'SEA', 'MIA', 'DEN'];
  const [from, to] = [hubs[i % 8], hubs[(i + 1 + (i >> 3)) % 8]];
  return { lane: `${from}>${to}${i >= 56 ? `-${i}` : ''}`, warehouse: `WH-${from}` };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dockside-bench-fapi-'));
  const prefix = `BENCH_FAPI_${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(32).toString('base64url');
  const config = loadConfig(process.env, {
    DOCKSIDE_PREFIX: prefix,
    DOCKSIDE_DATA_DIR: dir,
    DOCKSIDE_JWT_SECRET: secret,
    DOCKSIDE_FORECAST_INTERVAL_MS: '0',
    // Many planners behind one proxy on loopback: the rate limits count each forwarded client (see above).
    DOCKSIDE_TRUST_PROXY: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const logger = createLogger(config);
  const dockside = await startDockside(config, { logger, listen: true });
  let generatorProcess: ChildProcess | undefined;
  let failures = 0;
  try {
    const base = dockside.url;
    if (!base) throw new Error('startDockside did not report a URL');
    log(`dockside at ${base}, prefix ${prefix}`);

    // Events as the events sink stores them, then one forecast run with the default models into the same store.
    const { store } = dockside;
    const first = dayFromMs(Date.now()) - DAYS;
    const shape = { seed: 14, minLevel: 2, maxLevel: 80 };
    const series = syntheticLanes({ lanes: LANES, days: DAYS, start: first, ...shape });
    let rows: EventRow[] = [];
    let stored = 0;
    const flush = async () => {
      await store.client.insert({ table: store.table('events'), values: rows, format: 'JSONEachRow' });
      stored += rows.length;
      rows = [];
    };
    for (const [i, s] of series.entries()) {
      const { lane, warehouse } = laneName(i);
      const type = 'shipment.committed';
      const common = { type, source: 'bench', lane, late: 0, warehouse_id: warehouse, customer_id: 'C1' };
      for (let t = 0; t < DAYS; t++) {
        for (let k = 0; k < (s.values[t] ?? 0); k++) {
          const id = `fapi-${i}-${t}-${k}`;
          const at = chTime(msFromDay(first + t) + 36_000_000 + k * 1000);
          const payload = JSON.stringify({ id, type, shipmentId: id, lane, warehouseId: warehouse });
          rows.push({ ...common, id, occurred_at: at, received_at: at, shipment_id: id, payload });
        }
        if (rows.length >= 20_000) await flush();
      }
    }
    await flush();
    log(`stored ${stored} shipment.committed events (${LANES} lanes × ${DAYS} days); running forecasts…`);
    const fitStarted = performance.now();
    const options = { ...DEFAULT_RUN_OPTIONS, threads: 0 };
    const summary = await runForecasts(options, { store, logger });
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    log(`forecast run ${summary.runId}: ${summary.lanes} lanes in ${fitSeconds.toFixed(1)} s`);

    const token = await new SignJWT({ name: 'Bench Planner', roles: ['planner'], regions: [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('bench-planner')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(secret));
    const headers = { authorization: `Bearer ${token}` };
    // Every lane must have a stored forecast with bands before the load starts.
    const all = await fetch(`${base}/api/forecasts?pageSize=500`, {
      headers: { ...headers, 'x-forwarded-for': '10.255.0.1' },
    });
    const page = (await all.json()) as { data?: { points: { intervals: unknown[] }[] }[] };
    const banded = page.data?.filter((d) => d.points.length && d.points.every((p) => p.intervals.length));
    if (all.status !== 200 || banded?.length !== LANES)
      throw new Error(`want ${LANES} lanes with forecasts and bands, got ${banded?.length} (${all.status})`);
    const lane = laneName(0).lane;
    const laneUrl = `${base}/api/forecasts?lane=${encodeURIComponent(lane)}`;

    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const sample = () => ({
      cpu: process.cpuUsage(),
      elu: performance.eventLoopUtilization(),
      at: performance.now(),
    });
    /** This process's CPU and main-thread (event loop active) ms since `from`, per `n` (answers or seconds). */
    const cost = (from: ReturnType<typeof sample>, n: number) => {
      const used = process.cpuUsage(from.cpu);
      const per = (ms: number) => Math.round((ms / Math.max(1e-3, n)) * 1000) / 1000;
      return {
        cpuMs: per((used.user + used.system) / 1e3),
        mainThreadMs: per(performance.eventLoopUtilization(from.elu).active),
      };
    };
    // At rest (pipeline, sinks, chDB merges), per second: included in the phases' per-request figures.
    const rest = sample();
    await sleep(5_000);
    const atRest = cost(rest, (performance.now() - rest.at) / 1e3);
    const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
    const gen = fork(runTs, [fileURLToPath(import.meta.url), '--generator'], { stdio: 'inherit' });
    generatorProcess = gen;
    const run = async (phase: Phase) => {
      // A pause first: what a saturated phase left in the server's queue is finished before the next starts.
      await sleep(3_000);
      log(`${phase.name}: ${phase.rate}/s for ${phase.warmup} s warm-up + ${phase.seconds} s…`);
      // Server-side cost of the phase: this process's CPU and main-thread time per answer, its event-loop delay.
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const before = sample();
      const r = await new Promise<PhaseResult>((resolve, reject) => {
        gen.once('message', (m) => resolve(m as PhaseResult));
        gen.once('exit', (code) => reject(new Error(`load generator exited (${code})`)));
        gen.send(phase);
      });
      loop.disable();
      const server = {
        perRequest: cost(before, r.completed),
        eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
        eventLoopDelayMaxMs: Math.round(loop.max / 1e4) / 100,
      };
      log(
        `${phase.name}${r.saturated ? ' (SATURATED, lower bounds)' : ''}: p50 ${r.ms.p50} / p95 ${r.ms.p95} / p99 ${r.ms.p99} / max ${r.ms.max} ms, ${r.achievedPerSec}/s, ${r.failures} failures${r.firstFailure ? ` (first: ${r.firstFailure})` : ''}; server ${server.perRequest.cpuMs} CPU-ms/request (main thread ${server.perRequest.mainThreadMs}), loop delay p99 ${server.eventLoopDelayP99Ms} ms`,
      );
      return { ...r, server };
    };
    const phase = (name: string, url: string, check: Check, more: Partial<Phase> = {}) =>
      run({ name, url, check, lane, headers, rate: RATE, seconds: SECONDS, warmup: WARMUP, ...more });
    const forecast = await phase('forecast', laneUrl, 'forecast');
    const health = await phase('healthz', `${base}/healthz`, 'health');
    // Second reference: authenticated (JWT verified, permissions listed), no store read.
    const me = await phase('me (auth only)', `${base}/api/me`, 'me');
    const csv = await phase('forecast-csv', `${laneUrl}&format=csv`, 'csv');
    // What one client alone gets at this rate (not a failure: it shows the limit the proxy set-up avoids).
    const probe = await phase('one client', laneUrl, 'none', { oneClient: true, seconds: 1, warmup: 0 });
    failures = forecast.failures + health.failures + me.failures + csv.failures;

    const result = {
      command: `node bin/run-ts.js bench/forecast-api.ts --seconds=${SECONDS} --rate=${RATE} --warmup=${WARMUP} --give-up=${GIVE_UP_S}`,
      setup: {
        lanes: LANES,
        days: DAYS,
        events: stored,
        forecastRun: { lanes: summary.lanes, seconds: Math.round(fitSeconds), ...options },
        lane,
        auth: 'HS256 bearer, planner role',
        rateLimits: `planner API 120/min and server ${config.http.rateLimit.max}/${config.http.rateLimit.windowMs / 1000} s per client (defaults); X-Forwarded-For via trusted proxy 127.0.0.1, a new client every ${PER_CLIENT} requests`,
        keepAlive: 'node:http Agent keepAlive, maxSockets 64, separate process',
      },
      serverAtRestPerSecond: atRest,
      offeredPerSec: RATE,
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      forecast,
      healthz: health,
      me,
      forecastCsv: csv,
      /** Forecast route p99 over the healthz p99 (lower bounds when a phase saturated). */
      p99Ratio: Math.round((forecast.ms.p99 / health.ms.p99) * 100) / 100,
      p99RatioCsv: Math.round((csv.ms.p99 / health.ms.p99) * 100) / 100,
      p99RatioMe: Math.round((me.ms.p99 / health.ms.p99) * 100) / 100,
      targetP99Ms: 20,
      met: forecast.ms.p99 <= 20 && failures === 0,
      oneClientProbe: { sent: probe.sent, statuses: probe.statuses },
      peakRssMiB: Math.round(peakRssMiB()),
    };
    console.error(JSON.stringify(result, null, 2));
    log(`results: ${writeResult('forecast-api', result)}`);
  } finally {
    generatorProcess?.disconnect();
    await dockside.stop();
    const nc = await connectNats(config, logger);
    await deleteStreams(nc, streamNames(prefix));
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (failures) log(`${failures} requests failed`);
  process.exit(failures ? 1 : 0);
}
