/// <reference lib="dom" />
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { deleteStreams, streamNames } from '../core/mod.ts';
import { launchChromium } from '../test/helpers/browser.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { writeResult } from './lib/results.ts';
import { median } from './lib/stats.ts';

/**
 * The exception board's render timings in Debian's chromium against `dockside up` (real NATS, embedded chDB),
 * as the board measures itself (window.__docksideBoardStats: main-thread time from the data's arrival to the
 * commit of its rows). A board with 5,000 open exceptions against a reference board with 50 (another
 * warehouse, same process, same run), R rounds each, alternating which goes first: reload the page and read
 * firstRenderMs; post one new short pick and read the live update's lastUpdateMs. The list is windowed, so
 * the update should cost the same at 5,000 as at 50; the first render parses and sorts every state.
 * `node bin/run-ts.js bench/board.ts [--rounds=N]` — writes bench/results/board.json.
 */
const ROUNDS = Math.max(1, Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5) || 5);
const BIG = 5_000;
const REF = 50;
const BUDGET = { firstRenderMs: 1_000, lastUpdateMs: 50, postToRowMs: 1_000 };
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const run = randomBytes(4).toString('hex');
const prefix = `BENCH_BOARD_${run}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dockside-bench-board-'));
const secret = randomBytes(32).toString('base64url');
const log = (msg: string) => process.stderr.write(`[board] ${msg}\n`);

/** An HS256 token for `roles`, as the server's DOCKSIDE_JWT_SECRET verifies it. */
const tokenFor = (roles: string[], sub: string) =>
  new SignJWT({ name: sub, roles, regions: [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('4h')
    .sign(new TextEncoder().encode(secret));
const dana = await tokenFor(['ops_dispatch_manager'], 'bench-dana');
const feed = await tokenFor(['ingest'], 'bench-feed');

interface BoardStats {
  firstRenderMs: number | null;
  lastUpdateMs: number | null;
  firstRowsAt: number | null;
  rows: number;
}
interface Sample {
  firstRenderMs: number;
  /** Wall-clock from navigation to the first rows on screen (app, session, SSE, the list over HTTP). */
  firstRowsOnScreenMs: number;
  lastUpdateMs: number;
  /** Wall-clock from sending the POST to the new row on screen (ingest, detection, SSE, render). */
  postToRowMs: number;
  rows: number;
  domRows: number;
}
interface Board {
  readonly n: number;
  readonly warehouseId: string;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
  readonly samples: Sample[];
}

let child: ChildProcess | undefined;
let exited: Promise<unknown> = Promise.resolve();
let browser: Browser | undefined;
let url = '';
let picks = 0;

/** `dockside up` with its own prefix, data directory and secret; resolves with its URL. */
async function startUp(): Promise<string> {
  const p = spawn(process.execPath, [path.join(repoRoot, 'bin/dockside.js'), 'up'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NATS_URL: natsUrl,
      DOCKSIDE_PREFIX: prefix,
      DOCKSIDE_DATA_DIR: dataDir,
      DOCKSIDE_JWT_SECRET: secret,
      DOCKSIDE_FORECAST_INTERVAL_MS: '0',
      // As the browser test runs it: the template policy, sinks flushed every 50 ms.
      POLICY_FILE: path.join(repoRoot, 'policies/exception_to_crm_writeback.template.yaml'),
      DOCKSIDE_FLUSH_INTERVAL_MS: '50',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child = p;
  exited = new Promise((resolve) => p.once('exit', resolve));
  // Only the tail is kept once the URL is known: the log is for a failure's message.
  let err = '';
  p.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-64_000);
  });
  return waitFor(
    'dockside up to listen',
    () => {
      if (p.exitCode !== null) throw new Error(`dockside up exited: ${err.slice(-2_000)}`);
      return /"url":"(http:\/\/[^"]+)"[^\n]*dockside is up/.exec(err)?.[1];
    },
    90_000,
  );
}

/** A short pick (10 ordered, 7 picked) in `warehouseId`: one new open exception. */
function shortPick(warehouseId: string) {
  const shipmentId = `SHP-${run}-${++picks}`;
  return {
    id: `pick-${run}-${picks}`,
    type: 'wms.pick',
    occurredAt: new Date().toISOString(),
    source: 'wms-bench',
    shipmentId,
    warehouseId,
    sku: 'SKU-7',
    qtyOrdered: 10,
    qtyPicked: 7,
  };
}

async function post(events: unknown[]): Promise<void> {
  const res = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${feed}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  if (res.status !== 200) throw new Error(`POST /api/events: ${res.status} ${await res.text()}`);
}

/** Posts `n` short picks in `warehouseId` and waits until the API lists them all. */
async function seed(warehouseId: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1_000) {
    await post(Array.from({ length: Math.min(1_000, n - i) }, () => shortPick(warehouseId)));
  }
  await waitFor(
    `${n} exceptions in ${warehouseId}`,
    async () => {
      const res = await fetch(`${url}/api/exceptions?warehouseId=${warehouseId}&limit=1`, {
        headers: { authorization: `Bearer ${dana}` },
      });
      return ((await res.json()) as { total: number }).total >= n ? true : undefined;
    },
    180_000,
  );
}

const boardStats = (page: Page) =>
  page.evaluate(() => (window as unknown as { __docksideBoardStats?: BoardStats }).__docksideBoardStats);

/** Waits until the board is live and has committed its first rows (the page measures; we only poll it). */
async function loaded(page: Page): Promise<void> {
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 30_000 });
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { __docksideBoardStats?: BoardStats }).__docksideBoardStats;
      return s?.firstRenderMs != null && s.firstRowsAt != null && s.rows > 0;
    },
    undefined,
    { timeout: 30_000, polling: 50 },
  );
}

/**
 * Debian's chromium as the tests launch it, but without playwright's own SIGINT/SIGTERM handlers: they
 * exit the process as soon as the browser is closed, before this bench's cleanup has run.
 */
const launch = () => launchChromium({ handleSIGINT: false, handleSIGTERM: false });

/** A context signed in as the dispatch lead (POST /api/session), on the board filtered to `warehouseId`. */
async function openBoard(b: Browser, n: number, warehouseId: string): Promise<Board> {
  const context = await b.newContext({ viewport: { width: 1440, height: 900 } });
  const res = await context.request.post(`${url}/api/session`, {
    headers: { 'content-type': 'application/json' },
    data: { token: dana },
  });
  if (res.status() !== 200) throw new Error(`POST /api/session: ${res.status()}`);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    // Chromium asks for /favicon.ico when a shell names no icon (404): not the board's error.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}/board?warehouseId=${warehouseId}`);
  await loaded(page);
  return { n, warehouseId, context, page, errors, samples: [] };
}

/** One round: reload, read the first render; post one pick, wait for it on the board, read the update. */
async function round(board: Board): Promise<Sample> {
  const { page } = board;
  await page.reload();
  await loaded(page);
  const first = await boardStats(page);
  if (!first || first.firstRenderMs === null || first.firstRowsAt === null)
    throw new Error('no first render');
  const domRows = await page.locator('#exceptions tr[data-id]').count();
  // Cleared so that the value read below is this pick's update, not an earlier batch's.
  await page.evaluate(() => {
    const s = (window as unknown as { __docksideBoardStats?: BoardStats }).__docksideBoardStats;
    if (s) s.lastUpdateMs = null;
  });
  const posted = performance.now();
  await post([shortPick(board.warehouseId)]);
  await page.waitForFunction(
    (before) => {
      const s = (window as unknown as { __docksideBoardStats?: BoardStats }).__docksideBoardStats;
      return s?.lastUpdateMs != null && s.rows > before;
    },
    first.rows,
    { timeout: 30_000, polling: 50 },
  );
  const postToRowMs = performance.now() - posted;
  const after = await boardStats(page);
  if (board.errors.length) throw new Error(`page errors on the ${board.n} board: ${board.errors.join('; ')}`);
  return {
    firstRenderMs: first.firstRenderMs,
    firstRowsOnScreenMs: first.firstRowsAt,
    lastUpdateMs: after?.lastUpdateMs ?? Number.NaN,
    postToRowMs,
    rows: first.rows,
    domRows,
  };
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const summary = (xs: number[]) => ({ median: r2(median(xs)), max: r2(Math.max(...xs)), samples: xs.map(r2) });

function report(b: Board) {
  const s = b.samples;
  return {
    openExceptions: b.n,
    rowsOnBoard: median(s.map((x) => x.rows)),
    rowsInDom: { median: median(s.map((x) => x.domRows)), max: Math.max(...s.map((x) => x.domRows)) },
    firstRenderMs: summary(s.map((x) => x.firstRenderMs)),
    liveUpdateMs: summary(s.map((x) => x.lastUpdateMs)),
    postToRowMs: summary(s.map((x) => x.postToRowMs)),
    firstRowsOnScreenMs: summary(s.map((x) => x.firstRowsOnScreenMs)),
  };
}

let cleaning: Promise<void> | undefined;
/** Once, however often called (a signal and the failure it causes both ask): every caller awaits the same. */
const cleanup = () => {
  cleaning ??= stopAndRemove();
  return cleaning;
};
/** Stops the server (SIGTERM, then SIGKILL after 30 s), deletes its streams and its data directory. */
async function stopAndRemove(): Promise<void> {
  await browser?.close().catch(() => undefined);
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const hard = setTimeout(() => child?.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(hard);
  }
  try {
    const nc = await connect({ servers: natsUrl.split(',') });
    try {
      await deleteStreams(nc, streamNames(prefix));
    } finally {
      await nc.close();
    }
  } catch (err) {
    log(`could not delete the streams of ${prefix}: ${String(err)}`);
  }
  rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}

try {
  url = await startUp();
  log(`dockside up at ${url} (prefix ${prefix}); seeding ${BIG} + ${REF} open exceptions`);
  const bigWh = `WH-BIG-${run}`;
  const refWh = `WH-REF-${run}`;
  await seed(bigWh, BIG);
  await seed(refWh, REF);
  browser = await launch();
  const big = await openBoard(browser, BIG, bigWh);
  const ref = await openBoard(browser, REF, refWh);
  // One unrecorded round each: the first detection of a partition and the page's first compile.
  for (const b of [big, ref]) await round(b);
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of r % 2 === 0 ? [big, ref] : [ref, big]) {
      const s = await round(b);
      b.samples.push(s);
      log(
        `round ${r + 1}/${ROUNDS} N=${b.n}: first render ${s.firstRenderMs.toFixed(1)} ms ` +
          `(rows on screen ${Math.round(s.firstRowsOnScreenMs)} ms after navigation), ` +
          `live update ${s.lastUpdateMs.toFixed(1)} ms (POST to row ${Math.round(s.postToRowMs)} ms), ${s.domRows} of ${s.rows} rows in the DOM`,
      );
    }
  }
  const med = (b: Board, k: 'firstRenderMs' | 'lastUpdateMs') => median(b.samples.map((s) => s[k]));
  const bigReport = report(big);
  const result = {
    rounds: ROUNDS,
    viewport: '1440x900',
    boards: [bigReport, report(ref)],
    ratio: {
      firstRender: r2(med(big, 'firstRenderMs') / med(ref, 'firstRenderMs')),
      liveUpdate: r2(med(big, 'lastUpdateMs') / med(ref, 'lastUpdateMs')),
    },
    budgets: {
      firstRenderMs: BUDGET.firstRenderMs,
      liveUpdateMs: BUDGET.lastUpdateMs,
      postToRowMs: BUDGET.postToRowMs,
      firstRenderMaxWithin: bigReport.firstRenderMs.max <= BUDGET.firstRenderMs,
      liveUpdateMaxWithin: bigReport.liveUpdateMs.max <= BUDGET.lastUpdateMs,
      postToRowMaxWithin: bigReport.postToRowMs.max <= BUDGET.postToRowMs,
    },
  };
  console.error(JSON.stringify(result, null, 2));
  log(`results: ${writeResult('board', result)}`);
} catch (err) {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);
