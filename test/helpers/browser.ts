import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium, with the flags this machine's closed network needs. */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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
    args: ARGS,
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
