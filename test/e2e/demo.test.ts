/// <reference lib="dom" />
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { type RunningCli, spawnCli } from '../helpers/cli.ts';
import { removeStreams } from '../helpers/dockside.ts';
import { tempDir, uniquePrefix } from '../helpers/env.ts';
import { pageErrors } from '../helpers/ui.ts';
import { waitFor } from '../helpers/wait.ts';

interface Item {
  id: string;
  type: string;
}

const prefix = uniquePrefix('demo');
const data = tempDir('demo');
let demo: RunningCli | undefined;

afterAll(async () => {
  demo?.child.kill('SIGKILL');
  await removeStreams(prefix);
  data.remove();
});

describe('dockside demo, end to end', () => {
  it('fills the board with late_scan and short_pick within 30 s, live in a real browser, and stops cleanly', async () => {
    demo = spawnCli(['demo', '--port', '0', '--rate', '300', '--seed', '7', '--json'], {
      DOCKSIDE_PREFIX: prefix,
      DOCKSIDE_DATA_DIR: data.dir,
      LOG_LEVEL: 'warn',
    });
    const running = demo;
    const url = await waitFor(
      'the dashboard URL',
      () => running.stderr().match(/Exception board: (http:\/\/\S+)\//)?.[1],
      30_000,
    );
    // Auth is on in the demo: it prints one ready-made token per role.
    const token = await waitFor(
      'the dispatch lead token',
      () => running.stderr().match(/— dispatch-dana \(ops_dispatch_manager\)\n\s+(\S+)/)?.[1],
      10_000,
    );
    const signedOut = await fetch(`${url}/api/exceptions?limit=1`);
    expect(signedOut.status).toBe(401);
    const started = Date.now();
    const types = await waitFor(
      'late_scan and short_pick from the simulator',
      async () => {
        const res = await fetch(`${url}/api/exceptions?limit=5000`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const items = ((await res.json()) as { items: Item[] }).items;
        const seen = new Set(items.map((i) => i.type));
        return seen.has('late_scan') && seen.has('short_pick') ? seen : undefined;
      },
      30_000,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect([...types].sort()).toEqual(['late_scan', 'short_pick']);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const errors = pageErrors(page);
      await page.goto(`${url}/`);
      // Not signed in: the app's first API call answers 401 and the page goes to /signin, which lists the
      // demo users; picking one sets the session cookie and comes back, and the app opens the board.
      await page.waitForURL(`${url}/signin?next=${encodeURIComponent('/')}`, { timeout: 15_000 });
      await page.locator('button[data-user-id="dispatch-dana"]').click({ timeout: 15_000 });
      await page.waitForURL(`${url}/board`, { timeout: 15_000 });
      // The 401 that sent the page to /signin is the sign-in flow itself; from here on, no error.
      errors.length = 0;
      await page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
      // The heat strip counts both types; the type filter shows their rows.
      await page.locator('[data-count-type="late_scan"]').first().waitFor({ timeout: 15_000 });
      await page.locator('[data-count-type="short_pick"]').first().waitFor({ timeout: 15_000 });
      const lateCount = await page
        .locator('[data-count-type="late_scan"] b')
        .evaluateAll((cells) => cells.reduce((sum, b) => sum + Number(b.textContent), 0));
      expect(lateCount).toBeGreaterThan(0);
      await page.selectOption('#f-type', 'short_pick');
      await page.waitForFunction(
        () => {
          const types = [...document.querySelectorAll('#exceptions tr[data-id]')].map((r) =>
            r.getAttribute('data-type'),
          );
          return types.length > 0 && types.every((t) => t === 'short_pick');
        },
        undefined,
        { timeout: 15_000 },
      );
      // Live: newest first, rows that were not there when the list loaded arrive over SSE, without a reload.
      await page.goto(`${url}/board?sort=recent`);
      await page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
      await page.locator('#exceptions tr[data-id]').first().waitFor({ timeout: 15_000 });
      const before = await page
        .locator('#exceptions tr[data-id]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id') ?? ''));
      await page.waitForFunction(
        (known) =>
          [...document.querySelectorAll('#exceptions tr[data-id]')].some(
            (r) => !known.includes(r.getAttribute('data-id') ?? ''),
          ),
        before,
        { timeout: 20_000 },
      );
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }

    running.child.kill('SIGINT');
    expect(await running.exited).toBe(0);
    const summary = JSON.parse(running.stdout().trim()) as {
      shipments: number;
      injectedLate: number;
      exceptionsByType: Record<string, number>;
      auth: string;
      tokens: { userId: string; roles: string[]; token: string }[];
    };
    expect(summary.auth).toBe('on');
    expect(summary.tokens.find((t) => t.userId === 'dispatch-dana')?.token).toBe(token);
    expect(summary.tokens.map((t) => t.roles[0]).sort()).toEqual([
      'account_owner',
      'admin',
      'ingest',
      'ops_dispatch_manager',
      'ops_exception_lead',
      'planner',
      'revops_manager',
      'warehouse_supervisor',
    ]);
    expect(summary.shipments).toBeGreaterThan(0);
    expect(summary.exceptionsByType.late_scan).toBeGreaterThan(0);
    expect(summary.exceptionsByType.late_scan).toBeLessThanOrEqual(summary.injectedLate);
  });
});
