/// <reference lib="dom" />
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { streamNames } from '../../core/mod.ts';
import { launchChromium } from '../helpers/browser.ts';
import { type RunningCli, spawnCli } from '../helpers/cli.ts';
import { removeStreams } from '../helpers/dockside.ts';
import { tempDir, uniquePrefix } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * `dockside demo --fresh` fills every screen: it starts from an empty data directory (refusing while
 * another process holds it), backfills lane history so forecasts and their accuracy are served within a
 * minute, gets approvals waiting for the demo's account owner, and prints a sign-in link per demo user.
 */
const prefix = uniquePrefix('demofill');
const data = tempDir('demofill');
const P = streamNames(prefix).streamPrefix;
let demo: RunningCli | undefined;

afterAll(async () => {
  demo?.child.kill('SIGKILL');
  await removeStreams(prefix);
  data.remove();
});

const env = { DOCKSIDE_PREFIX: prefix, DOCKSIDE_DATA_DIR: data.dir, LOG_LEVEL: 'info' };

async function streamsOf(): Promise<string[]> {
  const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const s of jsm.streams.list())
      if (s.config.name.startsWith(`${P}_`) || s.config.name.includes(`_${P}_`)) names.push(s.config.name);
    return names.sort();
  } finally {
    await nc.close();
  }
}

async function json<T>(url: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T };
}

describe('dockside demo --fresh fills every screen', () => {
  it('refuses --fresh while another process holds the data directory', async () => {
    const chdb = path.join(data.dir, 'chdb');
    mkdirSync(chdb, { recursive: true });
    // The embedded ClickHouse's lock file, naming a live process (this test's own).
    writeFileSync(path.join(chdb, 'status'), `PID: ${process.pid}\nStarted at: 2026-01-01 00:00:00\n`);
    const refused = spawnCli(['demo', '--fresh', '--port', '0', '--duration', '5'], env);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain(
      `--fresh refused: process ${process.pid} has the data directory ${data.dir} open`,
    );
    expect(existsSync(path.join(chdb, 'status'))).toBe(true);
  });

  it('starts empty, serves forecasts and accuracy and pending approvals for owner-ana within a minute, and links each user', async () => {
    // Leftovers of an earlier run: a file in the embedded store, and a KV bucket of the prefix; a longer
    // prefix that starts the same way is somebody else's and must survive.
    const leftover = path.join(data.dir, 'chdb', 'leftover-from-an-earlier-run');
    writeFileSync(leftover, 'x');
    writeFileSync(path.join(data.dir, 'chdb', 'status'), 'PID: 999999999\n');
    const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    await new Kvm(jetstream(nc)).create(`${P}_leftover`);
    await (await jetstreamManager(nc)).streams.add({
      name: `${P}_B_EVENTS`,
      subjects: [`${prefix}_b.events.>`],
    });
    await nc.close();
    expect(await streamsOf()).toEqual([`${P}_B_EVENTS`, `KV_${P}_leftover`].sort());

    demo = spawnCli(
      ['demo', '--fresh', '--port', '0', '--duration', '75', '--seed', '7', '--bad-afternoon', '5', '--json'],
      env,
    );
    const running = demo;
    const url = await waitFor(
      'the board URL',
      () => running.stderr().match(/Exception board: (http:\/\/\S+)\//)?.[1],
      60_000,
    );
    // Everything below must be there within a minute of the banner.
    const within = (() => {
      const deadline = Date.now() + 60_000;
      return () => Math.max(1, deadline - Date.now());
    })();
    expect(existsSync(leftover)).toBe(false);
    const streams = await streamsOf();
    expect(streams).toContain(`${P}_B_EVENTS`);
    expect(streams).not.toContain(`KV_${P}_leftover`);

    const token = (userId: string) => {
      const m = new RegExp(`— ${userId} \\([^)]*\\)\\n\\s+(\\S+)\\n\\s+sign in: (\\S+)`).exec(
        running.stderr(),
      );
      if (!m?.[1] || !m[2]) throw new Error(`no token and sign-in link for ${userId} in the banner`);
      return { token: m[1], link: m[2] };
    };
    const planner = token('planner-pat');
    const ana = token('owner-ana');
    expect(planner.link).toBe(`${url}/signin?user=planner-pat`);
    expect(ana.link).toBe(`${url}/signin?user=owner-ana`);

    // Forecasts and their backtest for every lane of the simulated world.
    // The demo logs when the history is stored and forecast (the planner API is rate limited: no polling it).
    await waitFor(
      'the backfilled history and its forecast',
      () => (running.stderr().includes('demo: lane history backfilled and forecast') ? true : undefined),
      within(),
    );
    const listed = await json<{
      total: number;
      data: { lane: string; origin: string; folds: number; accuracy: { wape: number | null } | null }[];
    }>(`${url}/api/forecasts/lanes?pageSize=100`, planner.token);
    expect(listed.body.total).toBe(48);
    const lanes = listed.body.data;
    // Today's run, with its backtest folds (the week-old baseline run is older).
    expect(lanes.every((l) => l.folds === 3 && l.origin === lanes[0]?.origin)).toBe(true);
    const accuracy = await json<{ total: number; data: { wape: number | null; folds: number }[] }>(
      `${url}/api/forecasts/accuracy?pageSize=100`,
      planner.token,
    );
    expect(accuracy.body.total).toBe(48);
    for (const a of accuracy.body.data) {
      expect(a.folds).toBeGreaterThan(0);
      expect(a.wape).toBeGreaterThan(0);
    }
    expect(lanes.every((l) => typeof l.accuracy?.wape === 'number')).toBe(true);
    const series = await json<{ actuals: unknown[]; forecast: unknown[] }>(
      `${url}/api/forecasts/series?lane=${encodeURIComponent(lanes[0]?.lane ?? '')}`,
      planner.token,
    );
    expect(series.status, JSON.stringify(series.body)).toBe(200);
    expect(series.body.actuals).toHaveLength(56);
    expect(series.body.forecast).toHaveLength(28);
    // Lanes that moved over the last week raise forecast-delta alerts against the week-old forecast.
    const alerts = await json<{ total: number }>(`${url}/api/forecasts/alerts`, planner.token);
    expect(alerts.body.total).toBeGreaterThan(0);

    // The account owner has approvals waiting for her own decision.
    const mine = await waitFor(
      'an approval waiting for owner-ana',
      async () => {
        const r = await json<{ items: { ownerUserId: string; canDecide: boolean }[] }>(
          `${url}/api/approvals?mine=1&status=pending`,
          ana.token,
        );
        return r.body.items.length > 0 ? r.body.items : undefined;
      },
      within(),
    );
    expect(mine.every((a) => a.ownerUserId === 'owner-ana' && a.canDecide)).toBe(true);

    // The bad afternoon (the first warehouse's first carrier stops scanning 5 s in, for 20 s) is one incident.
    const dana = token('dispatch-dana');
    const incident = await waitFor(
      'the bad afternoon as an incident',
      async () => {
        const r = await json<{
          items: { type: string; cause: Record<string, string>; counts: { members: number } }[];
        }>(`${url}/api/incidents?type=late_scan&warehouseId=WH-ATL1&carrierId=UPSN`, dana.token);
        return r.body.items.find((i) => i.cause.kind === 'warehouse_carrier' && i.counts.members >= 5);
      },
      within(),
    );
    expect(incident.cause).toEqual({ kind: 'warehouse_carrier', warehouseId: 'WH-ATL1', carrierId: 'UPSN' });

    // A printed sign-in link signs the browser in as that user.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(planner.link);
      await page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 15_000 });
      const me = await page.evaluate(() => fetch('/api/me').then((r) => r.json()));
      expect(me.userId).toBe('planner-pat');
      await page.goto(`${url}/forecasts`);
      await page.locator('#fc-lane-list button').nth(47).waitFor({ timeout: 15_000 });
      await page.locator('.fc-chart .uplot canvas').waitFor({ timeout: 15_000 });
    } finally {
      await browser.close();
    }

    expect(await running.exited).toBe(0);
    const summary = JSON.parse(running.stdout().trim()) as {
      forecasts: { lanes: number; historyDays: number; folds: number; alerts: number };
      writeback: { demoRevopsApproved: number };
      stalled: number;
      tokens: { userId: string; signinUrl: string }[];
    };
    expect(summary.forecasts).toMatchObject({ lanes: 48, historyDays: 120, folds: 3 });
    expect(summary.writeback.demoRevopsApproved).toBeGreaterThan(0);
    expect(summary.stalled).toBeGreaterThan(5);
    expect(summary.tokens.find((t) => t.userId === 'owner-ana')?.signinUrl).toBe(ana.link);
  }, 180_000);
});
