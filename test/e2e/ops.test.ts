import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { tempDir } from '../helpers/env.ts';
import { axe, openSession, screenshot, shown } from '../helpers/ui.ts';
import { testUp } from '../helpers/up.ts';
import { waitFor } from '../helpers/wait.ts';
import { TEMPLATE_POLICY } from '../helpers/writeback-world.ts';

/**
 * The KPI strip and the operations page in Debian's chromium against `dockside up` (real NATS, embedded
 * ClickHouse, the template policy): 10 shipped orders and 2 WISMO contacts posted to the API show as
 * 20 per 100 on the strip, marked crossed (class and words) against the policy's 12; the operations page
 * lists every detector and write-back partition with its owner and the running consumers with their lag.
 * It also shows data quality: a feed that reported deliveries and no POD in words ("… sends no PODs:
 * missing_pod is off for it") and an inconsistent commitment as a finding row.
 * axe-core finds no serious or critical violation (light and dark); the console stays free of errors.
 */
const PARTITIONS = 4;
/** Deliveries without a POD after which a source is reported as sending none (DOCKSIDE_FEEDS_FILE). */
const MIN_DELIVERIES = 2;
const QUALITY_AT = new Date(Date.now() - 30 * 60_000).toISOString();
/**
 * Two deliveries from a carrier that sends no POD, a commitment promising delivery before shipping, and a
 * short pick of that shipment (1 exception per 1 shipment of its source in the alert budget).
 */
const qualityEvents = [
  ...[0, 1].map((i) => ({
    id: `e2e-dlv-${i}`,
    type: 'tms.status',
    occurredAt: QUALITY_AT,
    source: 'e2e-carrier',
    shipmentId: `E2E-D-${i}`,
    status: 'delivered',
  })),
  {
    id: 'e2e-commit-inconsistent',
    type: 'shipment.committed',
    occurredAt: QUALITY_AT,
    source: 'e2e-tms',
    shipmentId: 'E2E-C-1',
    customerId: 'C-1',
    customerTier: 'tier3',
    warehouseId: 'WH-1',
    lane: 'A>B',
    promisedShipBy: new Date(Date.now() + 5 * 3_600_000).toISOString(),
    promisedDeliverBy: new Date(Date.now() + 3_600_000).toISOString(),
  },
  {
    id: 'e2e-short-pick',
    type: 'wms.pick',
    occurredAt: QUALITY_AT,
    source: 'e2e-wms',
    shipmentId: 'E2E-C-1',
    warehouseId: 'WH-1',
    sku: 'SKU-1',
    qtyOrdered: 10,
    qtyPicked: 5,
  },
];
const data = tempDir('opse2e-feeds');

const up = testUp('opse2e');
const prefix = up.prefix;
let url = '';
let browser: Browser;

const token = (roles: string[], userId: string) =>
  up.auth.tokenFor(roles, { userId, name: userId, regions: ['*'] });

const signedIn = (roles: string[], userId: string, viewport = { width: 1440, height: 900 }) =>
  openSession(browser, url, token(roles, userId), { viewport });

beforeAll(async () => {
  const feedsFile = path.join(data.dir, 'feeds.yaml');
  writeFileSync(feedsFile, `learn:\n  min_deliveries: ${MIN_DELIVERIES}\n`);
  url = await up.start({
    POLICY_FILE: TEMPLATE_POLICY,
    DOCKSIDE_PARTITIONS: String(PARTITIONS),
    DOCKSIDE_FEEDS_FILE: feedsFile,
  });
  browser = await launchChromium();
  const res = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token(['ingest'], 'feed')}`, 'content-type': 'application/json' },
    body: JSON.stringify(qualityEvents),
  });
  expect(res.status).toBe(200);
  await waitFor('the feed and the finding in GET /api/quality', async () => {
    const r = await fetch(`${url}/api/quality`, {
      headers: { authorization: `Bearer ${token(['admin'], 'ada')}` },
    });
    const body = (await r.json()) as {
      feeds: { source: string }[];
      findings: { source: string }[];
      alertBudget: { bySource: { source: string }[] };
    };
    return body.feeds.some((f) => f.source === 'e2e-carrier') &&
      body.findings.some((f) => f.source === 'e2e-tms') &&
      body.alertBudget.bySource.some((b) => b.source === 'e2e-tms')
      ? true
      : undefined;
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await up.close();
  data.remove();
});

describe('KPI strip and operations page in a real browser', () => {
  it('the strip shows WISMO 20 per 100, crossed against 12, with its 24 h sparkline', async () => {
    const at = new Date(Date.now() - 20 * 60_000).toISOString();
    const events = [
      ...Array.from({ length: 10 }, (_, i) => ({
        id: `e2e-scan-${i}`,
        type: 'wms.ship_scan',
        occurredAt: at,
        shipmentId: `E2E-${i}`,
        warehouseId: 'WH-1',
      })),
      ...[0, 1].map((i) => ({
        id: `e2e-wismo-${i}`,
        type: 'crm.contact',
        occurredAt: at,
        customerId: 'C-1',
        reason: 'wismo',
      })),
    ];
    const res = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token(['ingest'], 'feed')}`, 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(200);
    // Stored: the API answers the final figure (the strip refreshes every 30 s, so wait here, then load it).
    await waitFor('the WISMO rate in the API', async () => {
      const r = await fetch(`${url}/api/kpis`, {
        headers: { authorization: `Bearer ${token(['admin'], 'ada')}` },
      });
      const body = (await r.json()) as { kpis: { name: string; detail?: string }[] };
      return body.kpis
        .find((k) => k.name === 'wismo_per_100_orders')
        ?.detail?.startsWith('2 WISMO contacts / 10')
        ? true
        : undefined;
    });

    const { context, page, errors } = await signedIn(['ops_dispatch_manager'], 'dispatch-dana');
    try {
      await page.goto(`${url}/board`);
      const wismo = page.locator('.kpi[data-kpi="wismo_per_100_orders"]');
      await shown(wismo, errors);
      expect(await wismo.getAttribute('class')).toMatch(/\bcrossed\b/);
      expect(await wismo.locator('.value').textContent()).toBe('20');
      expect(await wismo.locator('.limit').textContent()).toBe('alert above 12');
      expect(await wismo.locator('.kpi-cue').textContent()).toContain('Above threshold');
      // The sparkline is a uPlot canvas, hidden from assistive technology, with the same points in words.
      expect(await wismo.locator('.kpi-spark canvas').count()).toBeGreaterThan(0);
      expect(await wismo.locator('.kpi-spark').getAttribute('aria-hidden')).toBe('true');
      expect(await wismo.locator('.sr-only').last().textContent()).toMatch(
        /1 with data: lowest 20, highest 20/,
      );
      // A KPI without data says so, and is not marked crossed.
      const truck = page.locator('.kpi[data-kpi="truck_utilization_pct"]');
      expect(await truck.locator('.value').textContent()).toMatch(/^no data/);
      expect(await truck.getAttribute('class')).not.toMatch(/\bcrossed\b/);
      expect(await page.locator('.kpi[data-kpi="forecast_mape"] .limit').textContent()).toBe(
        'alert above 30\u00a0%',
      );
      expect(
        await page.locator('.kpi[data-kpi="exception_detection_latency_p95"] .limit').textContent(),
      ).toBe('alert above 10\u00a0min');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the operations page shows partitions with owners and consumers with lag; axe finds nothing serious', async () => {
    const { context, page, errors } = await signedIn(['admin'], 'ada');
    try {
      await page.goto(`${url}/ops`);
      await shown(page.locator('#ops-title'), errors);
      // Every partition of both sets gets its owner (the detector and write-back take leases at start).
      await page.waitForFunction(
        (n) =>
          ['detector', 'writeback'].every(
            (set) => document.querySelectorAll(`[data-set="${set}"] li.owned`).length === n,
          ),
        PARTITIONS,
        { timeout: 30_000 },
      );
      const owners = await page
        .locator('[data-set="detector"] li .ops-mono')
        .evaluateAll((els) => els.map((e) => e.textContent));
      expect(owners).toHaveLength(PARTITIONS);
      expect(new Set(owners).size).toBe(1);
      expect(owners[0]).not.toBe('no owner');

      const sink = page.locator(
        `#ops-consumer-table tr[data-consumer="${prefix.toUpperCase()}_events_sink"]`,
      );
      await sink.waitFor({ timeout: 15_000 });
      const cells = await sink.locator('td').allTextContents();
      expect(cells[0]).toBe(`${prefix.toUpperCase()}_EVENTS`);
      // pending, unacked, redelivered, delivered / last seq (12 events were posted above, and the quality ones)
      const posted = 12 + qualityEvents.length;
      expect(cells.slice(1, 4)).toEqual(['0', '0', '0']);
      expect(cells[4]).toBe(`${posted} / ${posted}`);
      expect(cells[5]).toContain('OK');
      expect(await page.locator('#ops-consumer-table tbody tr').count()).toBeGreaterThan(5);

      const nats = page.locator('.ops-card[data-component="nats"]');
      // Connected, with its round trip; amber only if the host was slow at that moment (a loaded CI runner
      // saw 279 ms once), which is the status the page is meant to show then (the threshold: ops-status.test).
      expect(await nats.textContent()).toMatch(
        /NATS.*(OK.*connected, round trip \d+ ms|Warning.*slow: round trip \d+ ms)/,
      );
      expect(await page.locator('.ops-card[data-component="clickhouse"] .ops-badge').textContent()).toContain(
        'OK',
      );
      // The scheduler is off here: amber, in words.
      expect(await page.locator('.ops-card[data-component="forecast"]').textContent()).toMatch(
        /Warning.*scheduler is off/,
      );
      // Still the strip on this screen.
      await page.locator('.kpi[data-kpi="wismo_per_100_orders"].crossed').waitFor();

      // Data quality: the no-POD feed in words, and the inconsistent commitment as a finding of its source.
      const feed = page.locator('#ops-feeds li[data-source="e2e-carrier"]');
      await feed.waitFor({ timeout: 15_000 });
      expect(await feed.getAttribute('data-missing-pod')).toBe('off');
      expect(await feed.locator('.ops-feed-text').textContent()).toBe(
        'source e2e-carrier sends no PODs: missing_pod is off for it',
      );
      const finding = page.locator(
        '#ops-findings-table tr[data-source="e2e-tms"][data-code="COMMITMENT_INCONSISTENT"]',
      );
      const findingCells = await finding.locator('td').allTextContents();
      expect(findingCells.slice(0, 3)).toEqual(['e2e-tms', 'COMMITMENT_INCONSISTENT', '1']);
      expect(findingCells[3]).toContain('e2e-commit-inconsistent');
      expect(findingCells[3]).toContain('is before promisedShipBy');
      // The alert budget: the short pick over the one shipment its source committed.
      const budget = page.locator('#ops-budget-source tr[data-subject="e2e-tms"][data-type="short_pick"]');
      expect(await budget.locator('td').allTextContents()).toEqual([
        'e2e-tms',
        'short_pick',
        '1',
        '1',
        '100.0',
      ]);

      expect(await axe(page)).toEqual([]);
      await screenshot(page, 'ops-1440x900.png', true);

      await page.getByRole('button', { name: /Switch to the dark theme/ }).click();
      await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
      expect(await axe(page)).toEqual([]);
      await screenshot(page, 'ops-dark-1440x900.png', true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('is usable at 390 px wide, and hidden from a role that may not read it', async () => {
    const narrow = await signedIn(['admin'], 'ada', { width: 390, height: 844 });
    try {
      await narrow.page.goto(`${url}/ops`);
      await shown(narrow.page.locator('#ops-consumer-table'), narrow.errors);
      // The page itself does not scroll sideways; wide tables scroll inside their own focusable region.
      const overflow = await narrow.page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      expect(await axe(narrow.page)).toEqual([]);
      await screenshot(narrow.page, 'ops-390x844.png', true);
      expect(narrow.errors).toEqual([]);
    } finally {
      await narrow.context.close();
    }

    const owner = await signedIn(['account_owner'], 'owner-ana');
    try {
      await owner.page.goto(`${url}/approvals`);
      await shown(owner.page.locator('.kpi[data-kpi="wismo_per_100_orders"]'), owner.errors);
      expect(await owner.page.locator('nav a[href="/ops"]').count()).toBe(0);
      const res = await owner.context.request.get(`${url}/api/ops`);
      expect(res.status()).toBe(403);
      expect(owner.errors).toEqual([]);
    } finally {
      await owner.context.close();
    }
  });
});
