/**
 * The headless Chromium the browser tests drive: Debian's /usr/bin/chromium
 * through playwright-core, with the background chatter (updates, sync, QUIC)
 * switched off so a test only sees its own requests (this machine's network
 * is closed, and Chromium would otherwise retry its own hosts at every start).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One browser for a test file; each test opens its own contexts. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface Phone {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * One headless Chromium per test file, as a 390 px phone with JavaScript off
 * (nothing of ours needs it), on a fresh profile that close() deletes.
 */
export async function launchPhone(): Promise<Phone> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-chromium-'));
  // A persistent context on a fresh directory is Chromium's --user-data-dir.
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 390, height: 844 },
    javaScriptEnabled: false,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
