import { existsSync } from 'node:fs';
import { type Browser, chromium, type LaunchOptions } from 'playwright-core';

/** Debian's chromium, as CI installs it (a browser download is not possible here). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches Debian's chromium headless. `options` go to playwright (a benchmark that cleans up on its own
 * signals passes `handleSIGINT: false`, so the browser is not closed under it).
 */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
    ...options,
  });
}
