/// <reference lib="dom" />
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../core/mod.ts';
import { launchChromium } from '../helpers/browser.ts';
import { tempDir } from '../helpers/env.ts';
import { axe, openSession, screenshot } from '../helpers/ui.ts';
import { testUp } from '../helpers/up.ts';
import { waitFor } from '../helpers/wait.ts';
import { TEMPLATE_POLICY } from '../helpers/writeback-world.ts';

/**
 * The board's "Incidents first" mode in Debian's chromium against `dockside up` (real NATS, embedded
 * ClickHouse): one carrier stops scanning at one warehouse (a burst of late scans, yesterday in event
 * time) beside unrelated exceptions. In incidents mode the incident comes first with its member count, the
 * others below it; Enter expands it to its members, with those over the day's budget (a policy cap of 8)
 * folded; a member arriving live updates the count; a read-only role sees no incident actions; resolving
 * the incident from the board resolves each member (its own history record) and it leaves the open list.
 * axe-core finds no serious or critical violation (light, dark, 390 px); the mode survives a reload.
 */
const up = testUp('incidentse2e');
const auth = up.auth;
const run = Math.random().toString(36).slice(2, 7);
const policyDir = tempDir('incidentse2e-policy');
let url = '';
let browser: Browser;

const CAP = 8;
const BURST = 12;
const wh = `WH-INC-${run}`;
const other = `WH-OTHER-${run}`;
const carrier = `CARR-BAD-${run}`;
const dana = { userId: 'dispatch-dana', name: 'Dana Dispatch' };
const danaToken = () => auth.tokenFor(['ops_dispatch_manager'], dana);
const supToken = () => auth.tokenFor(['warehouse_supervisor'], { userId: 'sup-wanda', name: 'Wanda' });
const ingestToken = () => auth.tokenFor(['ingest'], { userId: 'feed' });
const asDana = async <T>(route: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
  const res = await fetch(`${url}${route}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${danaToken()}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
};

const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;
/** Yesterday 12:00 UTC: every deadline of the burst is past and on one UTC day (one budget cell). */
const noonYesterday = Math.floor(Date.now() / DAY) * DAY - 12 * 3_600_000;
const tiers = ['tier1', 'tier2', 'tier3'] as const;
let n = 0;

/** A commitment whose ship-by passed with no scan: a late_scan an hour after `shipBy`. */
function commitment(warehouseId: string, shipBy: number, carrierId?: string) {
  const i = ++n;
  return {
    id: `commit-${run}-${i}`,
    type: 'shipment.committed',
    occurredAt: iso(shipBy - 2 * 3_600_000),
    source: 'oms-e2e',
    shipmentId: `SHP-${run}-${i}`,
    customerId: `C-${run}-${i % 5}`,
    customerTier: tiers[i % 3],
    warehouseId,
    lane: `${warehouseId}>R1`,
    promisedShipBy: iso(shipBy),
    ...(carrierId ? { carrierId } : {}),
  };
}

function shortPick(warehouseId: string) {
  const i = ++n;
  return {
    id: `pick-${run}-${i}`,
    type: 'wms.pick',
    occurredAt: iso(Date.now()),
    source: 'wms-e2e',
    shipmentId: `SHP-${run}-${i}`,
    warehouseId,
    sku: 'SKU-7',
    qtyOrdered: 10,
    qtyPicked: 7,
  };
}

/**
 * One current event per partition (a cancellation of a shipment of its own): every partition's event time
 * moves to now, so the burst's deadlines of yesterday pass everywhere (a partition's event time only
 * follows the wall clock from its own latest event).
 */
function ticks(partitions = 8) {
  return Array.from({ length: partitions }, (_, p) => {
    let k = 0;
    while (partitionOf(`shp:tick-${run}-${k}`, partitions) !== p) k++;
    return {
      id: `tick-${run}-${p}`,
      type: 'shipment.cancelled',
      occurredAt: iso(Date.now()),
      source: 'oms-e2e',
      shipmentId: `tick-${run}-${k}`,
      reason: 'event time moves on',
    };
  });
}

async function post(events: unknown[]): Promise<void> {
  const res = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingestToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

interface Incident {
  id: string;
  status: string;
  title: string;
  counts: { members: number; open: number; resolved: number; overBudget: number };
  memberIds: string[];
}
interface Exception {
  id: string;
  type: string;
  status: string;
  warehouseId?: string;
}

/** The burst's incident once it has `members` members (the view recomputes after the sink stored them). */
const burstIncident = (members: number, status = 'open') =>
  waitFor(
    `the carrier's incident with ${members} members`,
    async () => {
      const body = await asDana<{ items: Incident[] }>(
        `/api/incidents?status=all&warehouseId=${wh}&carrierId=${carrier}`,
      );
      const [i] = body.items;
      return body.items.length === 1 && i?.counts.members === members && i.status === status ? i : undefined;
    },
    60_000,
  );

const burst = Array.from({ length: BURST }, (_, i) =>
  commitment(wh, noonYesterday + i * 3 * 60_000, carrier),
);
/** Unrelated: late scans of another carrier elsewhere (too few for an incident), short picks at the warehouse. */
const unrelated = [
  ...Array.from({ length: 3 }, (_, i) => commitment(other, noonYesterday + i * 60_000, `CARR-OK-${run}`)),
  shortPick(wh),
  shortPick(wh),
];
let incident: Incident;
let unrelatedIds: string[] = [];

const live = (page: Page) => page.locator('#live[data-state="live"]').waitFor({ timeout: 15_000 });
const item = (page: Page) => page.locator(`li.bd-inc[data-incident-id="${incident.id}"]`);
const ids = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));

beforeAll(async () => {
  // The template with an alert budget for late scans: 8 per warehouse and day.
  const policy = readFileSync(TEMPLATE_POLICY, 'utf8').replace(
    /(\n {2}late_scan:\n {4}minutes_past_sla: 60\n)/,
    `$1    max_per_subject_per_day: ${CAP}\n`,
  );
  expect(policy).toContain(`max_per_subject_per_day: ${CAP}`);
  const policyFile = path.join(policyDir.dir, 'policy.yaml');
  writeFileSync(policyFile, policy);
  url = await up.start({ POLICY_FILE: policyFile, DOCKSIDE_FLUSH_INTERVAL_MS: '50', HOST: '127.0.0.1' });
  browser = await launchChromium();
  await post([...burst, ...unrelated]);
  await post(ticks());
  incident = await burstIncident(BURST);
  const shipments = new Set(unrelated.map((e) => e.shipmentId));
  unrelatedIds = await waitFor(
    'the unrelated exceptions in the list',
    async () => {
      const body = await asDana<{ items: (Exception & { shipmentId?: string })[] }>(
        '/api/exceptions?limit=5000',
      );
      const hits = body.items.filter((e) => e.shipmentId && shipments.has(e.shipmentId));
      return hits.length === unrelated.length ? hits.map((e) => e.id) : undefined;
    },
    60_000,
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await up.close('SIGTERM');
  policyDir.remove();
}, 60_000);

describe('the board with incidents first', () => {
  it('lists the incident first with its members counted, and the unrelated exceptions below it', async () => {
    expect(incident.counts).toMatchObject({ members: BURST, open: BURST, overBudget: BURST - CAP });
    const s = await openSession(browser, url, danaToken());
    await s.page.goto(`${url}/board`);
    await live(s.page);
    await s.page.locator('#exceptions tr[data-id]').first().waitFor();
    // The toggle in the filter bar puts the mode in the URL.
    await s.page.getByLabel('Incidents first').check();
    await s.page.waitForURL(`${url}/board?group=incidents`);
    await item(s.page).waitFor();
    expect(await item(s.page).locator('.bd-inc-members').textContent()).toBe(
      `${BURST} members: ${BURST} open, 0 assigned`,
    );
    expect(await item(s.page).textContent()).toContain(`${BURST - CAP} over budget`);
    // Below: the exceptions in no incident, and none of the incident's members.
    const below = await waitFor('the unrelated exceptions below the incident', async () => {
      const got = await ids(s.page, '#exceptions tr[data-id]');
      return unrelatedIds.every((id) => got.includes(id)) ? got : undefined;
    });
    expect(below.filter((id) => incident.memberIds.includes(id ?? ''))).toEqual([]);
    expect(await axe(s.page)).toEqual([]);
    // A reload keeps the mode.
    await s.page.reload();
    await live(s.page);
    await item(s.page).waitFor();
    expect(await s.page.getByLabel('Incidents first').isChecked()).toBe(true);
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it('expands with Enter to the members, those over the day’s budget folded until asked for', async () => {
    const s = await openSession(browser, url, danaToken());
    await s.page.goto(`${url}/board?group=incidents`);
    await live(s.page);
    const head = item(s.page).locator('.bd-inc-head');
    await head.waitFor();
    expect(await head.getAttribute('aria-expanded')).toBe('false');
    await head.focus();
    await s.page.keyboard.press('Enter');
    expect(await head.getAttribute('aria-expanded')).toBe('true');
    const members = item(s.page).locator('table[data-kind="members"] tr[data-id]');
    await members.nth(CAP - 1).waitFor();
    expect(await members.count()).toBe(CAP);
    expect(await item(s.page).locator('table[data-kind="over-budget"]').count()).toBe(0);
    const fold = item(s.page).getByRole('button', { name: `+${BURST - CAP} over the daily budget` });
    expect(await fold.getAttribute('aria-expanded')).toBe('false');
    await fold.click();
    const over = item(s.page).locator('table[data-kind="over-budget"] tr[data-id]');
    await over.nth(BURST - CAP - 1).waitFor();
    const shown = [
      ...(await ids(
        s.page,
        `li.bd-inc[data-incident-id="${incident.id}"] table[data-kind="members"] tr[data-id]`,
      )),
      ...(await ids(
        s.page,
        `li.bd-inc[data-incident-id="${incident.id}"] table[data-kind="over-budget"] tr[data-id]`,
      )),
    ];
    expect(new Set(shown)).toEqual(new Set(incident.memberIds));
    expect(shown).toHaveLength(BURST);
    expect(await axe(s.page)).toEqual([]);
    await screenshot(s.page, 'board-incidents-1440x900.png');
    // A member's link opens the exception's detail, as on the list.
    await members.first().locator('a').click();
    await s.page.waitForURL(/\/exceptions\/late_scan/);
    await s.page.locator('#detail-title').waitFor();
    expect(s.page.url()).toContain('group=incidents');
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it('updates the member count live as a member arrives', async () => {
    const s = await openSession(browser, url, danaToken());
    await s.page.goto(`${url}/board?group=incidents`);
    await live(s.page);
    await item(s.page).locator('.bd-inc-members').waitFor();
    // One more late scan of the same carrier, after the others (the incident keeps its id).
    await post([commitment(wh, noonYesterday + BURST * 3 * 60_000, carrier)]);
    await item(s.page)
      .locator('.bd-inc-members', { hasText: `${BURST + 1} members: ${BURST + 1} open` })
      .waitFor({ timeout: 15_000 });
    incident = await burstIncident(BURST + 1);
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it('is usable at 390 px in the dark theme and shows a read-only role no incident actions', async () => {
    const s = await openSession(browser, url, supToken(), {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    await s.page.goto(`${url}/board?group=incidents`);
    await live(s.page);
    await item(s.page).locator('.bd-inc-head').click();
    await item(s.page).locator('table[data-kind="members"] tr[data-id]').first().waitFor();
    expect(await s.page.locator('.bd-inc-actions').count()).toBe(0);
    expect(await s.page.getByRole('button', { name: /incident…/ }).count()).toBe(0);
    expect(await axe(s.page)).toEqual([]);
    await screenshot(s.page, 'board-incidents-390x844.png');
    const refused = await fetch(`${url}/api/incidents/${encodeURIComponent(incident.id)}/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${supToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ resolution: 'not mine to close' }),
    });
    expect(refused.status).toBe(403);
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it('resolves the incident from the board: each member resolved with its own record, the incident off the open list', async () => {
    // One member is resolved on its own first: the incident's answer reports it.
    const [first, ...rest] = incident.memberIds as [string, ...string[]];
    const { version } = await asDana<{ version: number }>(`/api/exceptions/${encodeURIComponent(first)}`);
    await asDana(`/api/exceptions/${encodeURIComponent(first)}/resolve`, {
      method: 'POST',
      body: { resolution: 'scanned by hand', expectedVersion: version },
    });
    await waitFor('the incident to count the resolved member', async () => {
      const i = await burstIncident(BURST + 1);
      return i.counts.resolved === 1 ? i : undefined;
    });
    const s = await openSession(browser, url, danaToken());
    await s.page.goto(`${url}/board?group=incidents`);
    await live(s.page);
    await item(s.page)
      .locator('.bd-inc-members', { hasText: `${rest.length} open` })
      .waitFor();
    // Assign, then resolve: the existing dialogs, the outcome per member in the board's message.
    await item(s.page).getByRole('button', { name: 'Assign incident…' }).click();
    const dialog = s.page.locator('dialog.bd-dialog[open]');
    await dialog.waitFor();
    await dialog.getByLabel('Assign to (user id)').fill('ops-oliver');
    await dialog.getByRole('button', { name: 'Assign', exact: true }).click();
    await s.page
      .locator('.bd-message', { hasText: `${rest.length} assigned, 1 already resolved` })
      .waitFor({ timeout: 15_000 });
    await item(s.page)
      .locator('.bd-inc-members', { hasText: `0 open, ${rest.length} assigned, 1 resolved` })
      .waitFor({ timeout: 15_000 });
    await item(s.page).getByRole('button', { name: 'Resolve incident…' }).click();
    await dialog.waitFor();
    await dialog.getByLabel('Reason for resolving').fill('carrier scanner fixed');
    expect(await axe(s.page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Resolve' }).click();
    await s.page
      .locator('.bd-message', { hasText: `${rest.length} resolved, 1 already resolved` })
      .waitFor({ timeout: 15_000 });
    // It leaves the open incidents on the board, and in the API.
    await item(s.page).waitFor({ state: 'detached', timeout: 15_000 });
    const open = await asDana<{ items: Incident[] }>(`/api/incidents?warehouseId=${wh}`);
    expect(open.items.map((i) => i.id)).not.toContain(incident.id);
    for (const id of rest) {
      const h = await asDana<{
        status: string;
        items: { action: string; by: string; resolution?: string; assignedTo?: string }[];
      }>(`/api/exceptions/${encodeURIComponent(id)}/history`);
      expect(h.status).toBe('resolved');
      expect(h.items.filter((x) => x.action === 'resolve')).toEqual([
        expect.objectContaining({ by: dana.userId, resolution: 'carrier scanner fixed' }),
      ]);
      expect(h.items.filter((x) => x.action === 'assign')).toEqual([
        expect.objectContaining({ by: dana.userId, assignedTo: 'ops-oliver' }),
      ]);
    }
    const own = await asDana<{ items: { action: string; resolution?: string }[] }>(
      `/api/exceptions/${encodeURIComponent(first)}/history`,
    );
    expect(own.items.filter((x) => x.action === 'resolve')).toEqual([
      expect.objectContaining({ resolution: 'scanned by hand' }),
    ]);
    await burstIncident(BURST + 1, 'resolved');
    expect(s.errors).toEqual([]);
    await s.context.close();
  });
});
