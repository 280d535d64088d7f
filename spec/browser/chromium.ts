/**
 * Real headless Chromium for the browser specs: Debian's `/usr/bin/chromium` driven by
 * playwright-core (never a downloaded browser), with a fresh profile in a temp folder.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian installs chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags every launch uses (see ../shared/TOOLCHAIN.md, "Browser tests"). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** A running browser with its own profile; `close()` ends it and deletes the profile. */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium; throws a clear error (never skips) when Debian's chromium is not installed. */
export const launchChromium = async (): Promise<Chromium> => {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: the browser specs need Debian's chromium. Install it with: apt-get update && apt-get install -y chromium`);
  }
  // A persistent context is how playwright takes a given --user-data-dir: a fresh temp folder per launch.
  const profile = mkdtempSync(join(tmpdir(), 'dialogue-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1200, height: 900 },
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
};
