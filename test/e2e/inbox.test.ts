import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { axe, openSession, screenshot } from '../helpers/ui.ts';
import { callApi, testUp } from '../helpers/up.ts';
import { waitFor } from '../helpers/wait.ts';
import { lateScanEvents, startWorld, TEMPLATE_POLICY, type World } from '../helpers/writeback-world.ts';

/**
 * The approvals inbox in Debian's chromium against `dockside up` (real NATS, embedded ClickHouse, the
 * Salesforce contract server): a tier1 late scan approved by the RevOps manager through the API waits for its
 * account owner, who sees it with a ticking countdown, current → proposed fields and the cited draft, approves
 * it in the inbox (exactly one PATCH), watches the write apply and rolls it back (the value is restored).
 * A second RevOps manager deciding first is said by name; a warehouse supervisor sees no inbox and is refused.
 * axe-core finds no serious or critical violation (light, dark, 390 px); the console stays free of errors.
 */
const up = testUp('inboxe2e');
const auth = up.auth;
let world: World;
let url = '';
let browser: Browser;
let policyFile = '';
const policyText = readFileSync(TEMPLATE_POLICY, 'utf8').replace('timeout_minutes: 60', 'timeout_minutes: 4');

const people = {
  rita: { roles: ['revops_manager'], userId: 'revops-rita', name: 'Rita Revops', regions: ['us-midwest'] },
  ray: { roles: ['revops_manager'], userId: 'revops-ray', name: 'Ray Revops', regions: ['us-midwest'] },
  ana: { roles: ['account_owner'], userId: 'owner-ana', name: 'Ana Owner', regions: [] as string[] },
  bob: { roles: ['account_owner'], userId: 'owner-bob', name: 'Bob Owner', regions: [] as string[] },
  wanda: {
    roles: ['warehouse_supervisor'],
    userId: 'sup-wanda',
    name: 'Wanda Supervisor',
    regions: [] as string[],
  },
  ingest: { roles: ['ingest'], userId: 'feed', name: 'Feed', regions: [] as string[] },
  admin: { roles: ['admin'], userId: 'admin', name: 'Ada Admin', regions: ['*'] },
};
type Who = keyof typeof people;
const tokenOf = (who: Who) => {
  const p = people[who];
  return auth.tokenFor(p.roles, { userId: p.userId, name: p.name, regions: p.regions });
};

const call = (who: Who, method: string, route: string, body?: unknown) =>
  callApi(url, tokenOf(who), method, route, body);

interface Approval {
  id: string;
  shipmentId: string;
  writeId: string;
  status: string;
}

/** A tier1 late scan for `customerId`, and its approval once the pipeline has made it. */
async function pendingApproval(customerId: string): Promise<Approval> {
  const { shipmentId, events } = lateScanEvents(customerId, 'tier1');
  expect((await call('ingest', 'POST', '/api/events', events)).status).toBe(200);
  return waitFor(
    `the approval for ${shipmentId}`,
    async () => {
      const r = await call('admin', 'GET', '/api/approvals?status=pending&limit=1000');
      return (r.body.items as Approval[] | undefined)?.find((x) => x.shipmentId === shipmentId);
    },
    30_000,
  );
}

/** A browser context signed in as `who` (the session cookie from POST /api/session), and its console errors. */
const signedIn = (who: Who, viewport = { width: 1440, height: 900 }) =>
  openSession(browser, url, tokenOf(who), { viewport });

/** How far right the inbox's own content reaches (the screen is 390 px wide: nothing of it may go past). */
const inboxRight = (page: Page) =>
  page.evaluate(() =>
    Math.max(
      ...[...document.querySelectorAll('.inbox, .inbox *')].map((e) => e.getBoundingClientRect().right),
    ),
  );

const countdownText = (page: Page, scope: string) =>
  page.locator(`${scope} .countdown [aria-hidden="true"]`).first().textContent();

beforeAll(async () => {
  world = await startWorld('inboxe2e');
  // The template with a 4-minute owner step: the owner's countdown is under five minutes (red).
  policyFile = path.join(world.dir, 'policy.yaml');
  writeFileSync(policyFile, policyText);
  url = await up.start({ ...world.env, POLICY_FILE: policyFile, DOCKSIDE_POLICY_RELOAD_MS: '200' });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await up.close();
  await world?.close();
});

describe('the approvals inbox in a browser', () => {
  it('the account owner approves from the inbox (one PATCH), watches the write apply, and rolls it back', async () => {
    const c = world.customers['CUST-T1'];
    if (!c) throw new Error('no CUST-T1');
    const a = await pendingApproval(c.customerId);
    const first = await call('rita', 'POST', `/api/approvals/${a.id}/approve`, {
      reason: 'ops confirmed the late scan',
      step: 0,
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);

    const { context, page, errors } = await signedIn('ana');
    try {
      await page.goto(`${url}/approvals`);
      // "Waiting for me" is the account owner's first tab, and the approval is in it.
      await expect
        .poll(() => page.getByRole('tab', { name: /Waiting for me/ }).getAttribute('aria-selected'))
        .toBe('true');
      const row = page.locator('li.approval', { hasText: a.shipmentId });
      await row.waitFor();
      expect(await row.textContent()).toMatch(/Late scan/);
      expect(await row.textContent()).toMatch(/Your step 2 of 2: Account owner/);
      expect(await row.textContent()).toMatch(/ops_risk_level\s*→\s*set to\s*high/);
      // The countdown ticks, and is red under five minutes.
      const scope = `li.approval[data-id="${a.id}"]`;
      const before = await countdownText(page, scope);
      expect(before).toMatch(/^[34]:\d\d$/);
      await page.waitForFunction(
        ([sel, was]) => document.querySelector(`${sel} .countdown [aria-hidden="true"]`)?.textContent !== was,
        [scope, before] as const,
      );
      expect(await row.locator('.countdown').getAttribute('class')).toContain('urgent');

      // Keyboard only: arrows move between tabs, Tab reaches the row, Enter opens it.
      await page.getByRole('tab', { name: /Waiting for me/ }).focus();
      await page.keyboard.press('ArrowRight');
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.textContent))
        .toMatch(/^All pending/);
      expect(await page.getByRole('tab', { name: /All pending/ }).getAttribute('aria-selected')).toBe('true');
      await page.keyboard.press('ArrowLeft');
      await expect
        .poll(() => page.getByRole('tab', { name: /Waiting for me/ }).getAttribute('aria-selected'))
        .toBe('true');
      await row.waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('href'))).toBe(
        `/approvals/${a.id}?tab=mine`,
      );

      // The detail: current → proposed, the draft with its citations and sources, the history.
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/approvals/${a.id}?tab=mine`);
      const changes = page.locator('table.changes tbody tr');
      await expect.poll(() => changes.count()).toBe(2);
      expect((await changes.nth(0).textContent())?.replace(/\s+/g, ' ')).toMatch(
        /ops_risk_level\s*low\s*→\s*high/,
      );
      expect((await changes.nth(1).textContent())?.replace(/\s+/g, ' ')).toMatch(
        /ops_risk_reason\s*\(empty\)\s*→\s*late_scan/,
      );
      const draft = page.locator('section.draft');
      expect(await draft.locator('.statement').first().textContent()).toMatch(/\[1\]\.$/);
      expect(await draft.locator('ol.sources li').first().textContent()).toContain(`commit-${a.shipmentId}`);
      const history = await page.locator('table.history').textContent();
      expect(history).toContain('Rita Revops');
      expect(history).toContain('ops confirmed the late scan');
      expect(
        await page.getByRole('link', { name: /Late scan on the exception board/ }).getAttribute('href'),
      ).toMatch(/^\/exceptions\//);
      await screenshot(page, 'inbox-1440x900.png');
      expect(await axe(page)).toEqual([]);

      // A reason is required; then the approval goes through and the write applies live.
      await page.getByRole('button', { name: 'Approve step 2' }).click();
      await page.getByRole('alert').filter({ hasText: 'Write a reason' }).waitFor();
      expect(world.sf.patches.filter((p) => p.id === c.accountId)).toHaveLength(0);
      await page.getByLabel(/^Reason \(required/).fill('customer told, flag it');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.getByText('Approved: the CRM write is on its way.').waitFor();
      await page.locator('.write-state', { hasText: 'Applied in the CRM' }).waitFor({ timeout: 30_000 });
      // From then on the table shows what Dockside read just before writing → what it wrote.
      await page.getByRole('columnheader', { name: 'Before the write' }).waitFor();
      expect((await changes.nth(0).textContent())?.replace(/\s+/g, ' ')).toMatch(
        /ops_risk_level\s*low\s*→\s*high/,
      );
      await screenshot(page, 'inbox-applied-1440x900.png');
      const patches = world.sf.patches.filter((p) => p.object === 'Account' && p.id === c.accountId);
      expect(patches.map((p) => p.body)).toEqual([
        { Ops_Risk_Level__c: 'high', Ops_Risk_Reason__c: 'late_scan' },
      ]);
      expect(world.sf.appliedChanges(c.accountId)).toBe(1);
      expect(world.sf.record('Account', c.accountId)?.Ops_Risk_Level__c).toBe('high');

      // Roll back from the inbox, inside the window (its countdown is shown): the old values are back.
      await page.getByRole('heading', { name: /Roll back \(possible for/ }).waitFor();
      await page.getByLabel('Reason for the rollback (required)').fill('customer called: shipped after all');
      await page.getByRole('button', { name: 'Roll back' }).click();
      await page.locator('.write-state', { hasText: 'Rolled back' }).waitFor();
      expect(await page.getByRole('button', { name: 'Roll back' }).count()).toBe(0);
      expect(world.sf.record('Account', c.accountId)).toMatchObject({
        Ops_Risk_Level__c: 'low',
        Ops_Risk_Reason__c: null,
      });

      // History: the approval is in "My history" as approved.
      await page.getByRole('tab', { name: 'My history' }).click();
      await page.locator('li.approval', { hasText: a.shipmentId }).waitFor();
      expect(await page.locator('li.approval', { hasText: a.shipmentId }).textContent()).toMatch(/approved/);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('a RevOps manager beaten to the step by another is told who decided it; dark theme and 390 px stay accessible', async () => {
    const c = world.customers['CUST-T1B'];
    if (!c) throw new Error('no CUST-T1B');
    const a = await pendingApproval(c.customerId);
    const { context, page, errors } = await signedIn('rita', { width: 390, height: 844 });
    try {
      await page.addInitScript(() => localStorage.setItem('dockside.theme', 'dark'));
      await page.goto(`${url}/approvals/${a.id}`);
      await page.getByRole('heading', { name: /Late scan · CUST-T1B/ }).waitFor();
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
      // One column: the list gives way to the detail; nothing of the inbox overflows sideways.
      expect(await page.locator('.inbox-list').isVisible()).toBe(false);
      expect(await inboxRight(page)).toBeLessThanOrEqual(390);
      await screenshot(page, 'inbox-detail-390x844.png', true);
      expect(await axe(page)).toEqual([]);

      const ray = await call('ray', 'POST', `/api/approvals/${a.id}/approve`, { reason: 'seen it', step: 0 });
      expect(ray.status).toBe(200);
      await page.getByLabel(/^Reason \(required/).fill('agree');
      await page.getByRole('button', { name: 'Approve step 1' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'Ray Revops already approved this step' });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/It now waits for Account owner \(step 2\)/);

      await page.getByRole('link', { name: 'Back to the list' }).click();
      await page.locator('.inbox-list').waitFor();
      // Read again after the refusal: nothing waits for Rita any more.
      await page.getByText('Nothing waits for you.').waitFor();
      await page.getByRole('tab', { name: /All pending/ }).click();
      const row = page.locator(`li.approval[data-id="${a.id}"]`);
      await row.waitFor();
      expect(await row.textContent()).toMatch(/Waits for step 2 of 2: Account owner/);
      await screenshot(page, 'inbox-390x844.png', true);
      expect(await inboxRight(page)).toBeLessThanOrEqual(390);
      expect(await axe(page)).toEqual([]);
      // The refused click (409) is the one expected error the browser logs.
      expect(errors.filter((e) => !e.includes(`/api/approvals/${a.id}/approve`))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('a warehouse supervisor sees no Approvals screen and no approve button; a direct approve is refused', async () => {
    const c = world.customers['CUST-T1C'];
    if (!c) throw new Error('no CUST-T1C');
    const a = await pendingApproval(c.customerId);
    const { context, page, errors } = await signedIn('wanda');
    try {
      await page.goto(`${url}/approvals/${a.id}`);
      await page.getByRole('navigation', { name: 'Screens' }).waitFor();
      expect(
        await page
          .getByRole('navigation', { name: 'Screens' })
          .getByRole('link', { name: 'Approvals' })
          .count(),
      ).toBe(0);
      expect(await page.getByRole('button', { name: /Approve/ }).count()).toBe(0);
      expect(await page.locator('.inbox').count()).toBe(0);
      const direct = await call('wanda', 'POST', `/api/approvals/${a.id}/approve`, {
        reason: 'me too',
        step: 0,
      });
      expect(direct.status).toBe(403);
      expect(direct.body.error).toMatchObject({ code: 'FORBIDDEN' });
      expect((await call('admin', 'GET', `/api/approvals/${a.id}`)).body.status).toBe('pending');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the rollback button goes away on its own when the window closes (a write on its own page)', async () => {
    const c = world.customers['CUST-T3'];
    if (!c) throw new Error('no CUST-T3');
    // tier3: written without approval.
    const { events } = lateScanEvents(c.customerId, 'tier3');
    expect((await call('ingest', 'POST', '/api/events', events)).status).toBe(200);
    const w = await waitFor(
      'the tier3 write applied',
      async () => {
        const r = await call('bob', 'GET', `/api/writebacks?customerId=${c.customerId}&status=applied`);
        return (r.body.items as { id: string }[] | undefined)?.[0];
      },
      30_000,
    );
    // The policy now allows rollback for 0.4 minutes after a write (hot reload): the window closes soon.
    writeFileSync(
      policyFile,
      policyText.replace('max_minutes_since_writeback: 120', 'max_minutes_since_writeback: 0.4'),
    );
    const closes = await waitFor('the shorter window in force', async () => {
      const r = await call('bob', 'GET', `/api/writebacks/${w.id}`);
      const at = r.body.rollbackClosesAt as string | null;
      return at && Date.parse(at) - Date.parse(r.body.appliedAt as string) === 24_000 ? at : undefined;
    });
    const { context, page, errors } = await signedIn('bob');
    try {
      await page.goto(`${url}/writebacks/${w.id}`);
      await page.getByRole('heading', { name: `CRM write ${w.id}` }).waitFor();
      const button = page.getByRole('button', { name: 'Roll back' });
      await button.waitFor();
      expect(
        await page.getByRole('heading', { name: /^Roll back \(possible for \d+ seconds ?\)$/ }).count(),
      ).toBe(1);
      // No reload: the ticking clock removes the form the moment the window closes.
      await page.getByText('The rollback window closed at').waitFor({ timeout: 40_000 });
      expect(await button.count()).toBe(0);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(closes));
      expect(await axe(page)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});
