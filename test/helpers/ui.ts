/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { repoRoot } from './env.ts';

/**
 * What the browser tests share: a context signed in with the session cookie, the page's errors, axe-core,
 * screenshots for the README, and a wait that says what the page reported.
 */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let axeSource: string | undefined;

/** Screenshots for the README (the lead commits docs/screens/ from here). */
/** Where screenshots go: .tmp/screens, or docs/screens with `npm run screens` (DOCKSIDE_SCREENS_DIR). */
export const SHOTS = path.resolve(repoRoot, process.env.DOCKSIDE_SCREENS_DIR ?? '.tmp/screens');

export interface Session {
  readonly context: BrowserContext;
  readonly page: Page;
  /** The page's console errors and page errors so far (see `pageErrors`). */
  readonly errors: string[];
}

/** Collects the page's console errors (with their URL) and page errors, leaving out a /favicon.ico 404. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    // Chromium asks for /favicon.ico when a shell names no icon (404): the shell's, not the screen's.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) {
      errors.push(`${m.text()} (${m.location().url})`);
    }
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** A new context (1440×900 unless `options` say otherwise) signed in with `token` via POST /api/session. */
export async function openSession(
  browser: Browser,
  url: string,
  token: string,
  options: BrowserContextOptions = {},
): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  const res = await context.request.post(`${url}/api/session`, {
    headers: { 'content-type': 'application/json' },
    data: { token },
  });
  expect(res.status()).toBe(200);
  const page = await context.newPage();
  return { context, page, errors: pageErrors(page) };
}

/** Waits for an element; a timeout names what the page reported (a failed bundle, an API error). */
export async function shown(locator: Locator, errors: readonly string[], timeout = 15_000): Promise<void> {
  try {
    await locator.waitFor({ timeout });
  } catch (err) {
    throw new Error(`${String(err)}\npage errors: ${errors.join('; ') || 'none'}`);
  }
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core on the page as it is: its serious and critical violations. */
export async function axe(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: every page's CSP allows no injected script tag.
  axeSource ??= readFileSync(AXE, 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    type Axe = { run(ctx: Document, o: { resultTypes: string[] }): Promise<{ violations: unknown[] }> };
    return (await (window as unknown as { axe: Axe }).axe.run(document, { resultTypes: ['violations'] }))
      .violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Saves a screenshot of the page as .tmp/screens/`name`. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name), fullPage });
}
