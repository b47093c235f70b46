/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chTime, createLogger } from '../../core/mod.ts';
import { formatDay, msFromDay } from '../../forecasting/days.ts';
import { DEFAULT_RUN_OPTIONS, runForecasts, syntheticLanes } from '../../forecasting/mod.ts';
import type { EventRow } from '../../ingest/mod.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { axe, openSession, screenshot } from '../helpers/ui.ts';
import { listenLocal } from '../helpers/up.ts';

/**
 * A planner at the forecast desk, in Debian's chromium against a whole Dockside (real NATS, embedded
 * ClickHouse) with forecasts stored by the forecasting module from a small synthetic series: finds a lane
 * by search with the keyboard, sees the chart with its 80 and 95 % bands and the backtest numbers, sorts
 * the accuracy table, and downloads the CSV of what is shown. An earlier run's forecasts of the last ten
 * days are scored live against the simpler forecasts, and the lane says how it compares.
 */
const LANES = ['ATL>NYC', 'ATL>BOS', 'CHI>MIA'];
const DAYS = 84;

let t: TestDockside;
let url = '';
let browser: Browser;
/** The origin of the newest run: what the desk must show (the earlier run is only scored live). */
let latestOrigin = '';

beforeAll(async () => {
  t = await startTestDockside('fcdesk');
  const store = t.dockside.store;
  const today = Math.floor(Date.now() / 86_400_000);
  const start = today - DAYS;
  const series = syntheticLanes({
    lanes: LANES.length,
    days: DAYS,
    start,
    seed: 11,
    minLevel: 6,
    maxLevel: 18,
    stepShare: 0,
  });
  const rows: EventRow[] = [];
  series.forEach((s, i) => {
    const lane = LANES[i] ?? 'X>Y';
    s.values.forEach((n, d) => {
      const at = chTime(msFromDay(start + d) + 36_000_000);
      for (let k = 0; k < n; k++) {
        const id = `fc-${i}-${d}-${k}`;
        rows.push({
          id,
          type: 'shipment.committed',
          occurred_at: at,
          received_at: at,
          source: 'test',
          shipment_id: id,
          warehouse_id: 'WH-1',
          customer_id: 'c1',
          lane,
          late: 0,
          payload: JSON.stringify({ id, type: 'shipment.committed', shipmentId: id, lane }),
        });
      }
    });
  });
  await store.client.insert({ table: store.table('events'), values: rows, format: 'JSONEachRow' });
  const options = {
    ...DEFAULT_RUN_OPTIONS,
    models: ['naive', 'seasonal-naive', 'moving-average', 'weekly-profile', 'level-profile'] as const,
    horizon: 14,
    folds: 2,
    threads: 0,
  };
  const logger = createLogger({ logLevel: 'silent' });
  // A run ten days ago, whose forecasts of the days since are scored live against the simpler forecasts.
  await runForecasts({ ...options, asOf: today - 10 }, { store, logger });
  const run = await runForecasts(options, { store, logger });
  expect(run.lanes).toBe(3);
  expect(run.origin).toBe(formatDay(today));
  latestOrigin = run.origin;
  url = await listenLocal(t);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** The planner's page, signed in, and its problems: console errors, page errors and failed responses. */
async function signedInPage(): Promise<{ page: Page; problems: string[] }> {
  const token = t.auth.tokenFor(['planner'], { userId: 'planner-pat', name: 'Pat Planner' });
  const s = await openSession(browser, url, token, {
    viewport: { width: 1280, height: 720 },
    acceptDownloads: true,
  });
  s.page.on('response', (r) => {
    if (r.status() >= 400) s.errors.push(`http ${r.status()}: ${r.url()}`);
  });
  return { page: s.page, problems: s.errors };
}

interface SeriesBody {
  origin: string;
  forecast: { date: string; mean: number }[];
  accuracy: {
    model: string;
    role: string | null;
    mape: number | null;
    wape: number | null;
    mase: number | null;
  }[];
}

describe('forecast desk in a real browser', () => {
  it('a planner finds a lane, sees the chart with its bands and backtest, sorts accuracy, and downloads the CSV', async () => {
    const { page, problems } = await signedInPage();
    await page.goto(`${url}/forecasts`);
    const laneButtons = page.locator('#fc-lane-list button');
    await laneButtons.first().waitFor();
    expect(await laneButtons.count()).toBe(3);

    // Search narrows the list; the keyboard alone opens a lane (↓ from the search box, Enter).
    const search = page.getByLabel('Search lanes');
    await search.fill('nyc');
    await page.waitForFunction(() => document.querySelectorAll('#fc-lane-list button').length === 1);
    await search.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-lane'))).toBe('ATL>NYC');
    await page.keyboard.press('Enter');
    await page.waitForURL(/lane=ATL%3ENYC/);
    await expect.poll(() => page.locator('#fc-lane-title').textContent()).toBe('ATL>NYC');
    await search.fill('');

    // The chart: uPlot's DOM with a drawn canvas, the two bands, and a caption with the numbers.
    const chart = page.locator('.fc-chart');
    await chart.locator('.uplot canvas').waitFor();
    expect(await chart.getAttribute('data-bands')).toBe('80,95');
    const drawn = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('.fc-chart .uplot canvas');
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) return { painted: 0, band: 0 };
      const { width, height } = canvas;
      // The right fifth of the plot is the forecast: count pixels painted there in the bands' colour (the accent at low alpha).
      const img = ctx.getImageData(Math.floor(width * 0.8), 0, Math.floor(width * 0.18), height).data;
      const all = ctx.getImageData(0, 0, width, height).data;
      let painted = 0;
      for (let i = 3; i < all.length; i += 4) if ((all[i] ?? 0) > 0) painted++;
      let band = 0;
      for (let i = 0; i < img.length; i += 4) {
        const [r, g, b, a] = [img[i] ?? 0, img[i + 1] ?? 0, img[i + 2] ?? 0, img[i + 3] ?? 0];
        // Light theme accent #0a58ca, translucent: blue clearly above red and green.
        if (a > 20 && a < 200 && b > r + 40 && b > g + 20) band++;
      }
      return { painted, band };
    });
    expect(drawn.painted).toBeGreaterThan(1_000);
    expect(drawn.band).toBeGreaterThan(500);
    const caption = await page.locator('.fc-figure figcaption').textContent();
    expect(caption).toMatch(/ATL>NYC, committed shipments per day: 56 days of actuals/);
    expect(caption).toMatch(/forecast for 14 days from/);
    expect(caption).toMatch(
      /first day \w{3} [\d-]+: [\d.,]+, 80 % interval [\d.,]+–[\d.,]+, 95 % interval [\d.,]+–[\d.,]+/,
    );

    // The backtest numbers beside seasonal naive's: exactly what the API has for the lane.
    const api = (await (
      await page.request.get(`${url}/api/forecasts/series?lane=ATL%3ENYC&history=56`)
    ).json()) as SeriesBody;
    // The newest run is the one shown (both runs were stored within a second of each other).
    expect(api.origin).toBe(latestOrigin);
    expect(await page.locator('.fc-lane > p.fc-muted').first().textContent()).toContain(
      `Forecast from ${latestOrigin}`,
    );
    const pct = (v: number | null | undefined) => (v == null ? '–' : `${(v * 100).toFixed(1)}\u00a0%`);
    for (const role of ['served', 'baseline']) {
      const a = api.accuracy.find((x) => x.role === role);
      const row = page.locator(`.fc-metrics tr[data-model="${a?.model}"]`);
      expect(await row.locator('td').allTextContents()).toEqual([
        pct(a?.mape),
        pct(a?.wape),
        a?.mase?.toFixed(2) ?? '–',
      ]);
    }
    expect(await page.locator('.fc-metrics tr[data-model="seasonal-naive"] th').textContent()).toMatch(
      /Baseline/,
    );

    // The live check: the served forecast against the simpler ones over the days since the earlier run, as the API has it.
    const live = (await (await page.request.get(`${url}/api/forecasts/live?lane=ATL%3ENYC`)).json()) as {
      data: {
        served: number;
        servedVsBestPeer: number;
        bestPeer: string;
        peers: { model: string; wape: number }[];
        coverage: Record<string, number>;
      }[];
    };
    const scored = live.data[0];
    expect(scored?.peers.map((p) => p.model).sort()).toEqual(['moving-average', 'naive', 'seasonal-naive']);
    const check = page.locator('#fc-live');
    expect(await check.getAttribute('data-live')).toBe(
      (scored?.servedVsBestPeer ?? 0) >= 0 ? 'ahead' : 'behind',
    );
    const said = (await check.textContent()) ?? '';
    expect(said).toContain(`served WAPE ${pct(scored?.served)}`);
    for (const p of scored?.peers ?? [])
      expect(said).toContain(`${p.model.replaceAll('-', ' ')} ${pct(p.wape)}`);
    expect(said).toContain(pct(Math.abs(scored?.servedVsBestPeer ?? 0)));
    for (const [level, share] of Object.entries(scored?.coverage ?? {}))
      expect(said).toContain(`${pct(share)} of days (${level} % band)`);
    expect(Object.keys(scored?.coverage ?? {})).toEqual(['80', '95']);

    // The accuracy table of all lanes, sortable by any column from its header button.
    const wapeHeader = page.locator('#fc-accuracy th:has(button[data-sort="wape"])');
    await wapeHeader.locator('button').click();
    expect(await wapeHeader.getAttribute('aria-sort')).toBe('ascending');
    const wapes = async () =>
      (await page.locator('#fc-accuracy td[data-col="wape"]').allTextContents()).map((s) =>
        Number.parseFloat(s),
      );
    const up = await wapes();
    expect(up).toHaveLength(3);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await wapeHeader.locator('button').press('Enter');
    expect(await wapeHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await wapes()).toEqual([...up].reverse());
    expect(
      await page.locator('#fc-accuracy th:has(button[data-sort="lane"])').getAttribute('aria-sort'),
    ).toBe('none');

    // The CSV download is what the page shows: one row per day of the chart's table, numbers that round to its cells.
    await page.locator('.fc-days summary').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#fc-csv').click()]);
    expect(download.suggestedFilename()).toBe(`forecast-ATL_NYC-${api.origin}.csv`);
    const csv = readFileSync((await download.path()) ?? '', 'utf8');
    const [header, ...lines] = csv.trim().split('\n');
    expect(header).toBe(
      'lane,warehouse,date,actual,forecast,lower_80,upper_80,lower_95,upper_95,model,run_id',
    );
    const shown = await page.locator('#fc-days tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        date: tr.getAttribute('data-date'),
        actual: tr.querySelector('[data-col="actual"]')?.textContent,
        forecast: tr.querySelector('[data-col="forecast"]')?.textContent,
      })),
    );
    expect(lines).toHaveLength(shown.length);
    expect(shown).toHaveLength(56 + 14);
    const one = (s: string | undefined) => (s ? Number(s).toFixed(1) : '–');
    lines.forEach((line, i) => {
      const c = line.split(',');
      expect(c.slice(0, 3)).toEqual(['ATL>NYC', '', shown[i]?.date]);
      expect(one(c[3])).toBe(shown[i]?.actual?.replaceAll(',', ''));
      expect(one(c[4])).toBe(shown[i]?.forecast?.replaceAll(',', ''));
    });
    // … and the same text the API writes for the same view.
    const serverCsv = await (
      await page.request.get(`${url}/api/forecasts/series?lane=ATL%3ENYC&history=56&format=csv`)
    ).text();
    expect(csv).toBe(serverCsv);
    expect(lines.filter((l) => l.split(',')[4] !== '').map((l) => Number(l.split(',')[4]))).toEqual(
      api.forecast.map((f) => f.mean),
    );

    // The API docs are one click away.
    expect(await page.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe('/docs');
    expect(await page.getByRole('link', { name: 'OpenAPI (JSON)' }).getAttribute('href')).toBe(
      '/api/forecasts/openapi.json',
    );

    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'forecasts-1280x720.png', true);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('.fc-days summary').click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'forecasts-1440x900.png');

    // Dark theme: the chart is redrawn with the dark tokens, and axe still finds nothing serious.
    await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await chart.locator('.uplot canvas').waitFor();
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'forecasts-dark-1440x900.png');
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
