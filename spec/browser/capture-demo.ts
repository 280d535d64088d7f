/**
 * The README's picture (docs/demo.png): the demo page after the default run, captured in headless
 * Chromium at a desktop size. The default run is what `npm run serve` answers without a config:
 * the CLI's three built-in simulated experts (swift, steady, deep), the default fusion, and a
 * cache (so the first question is a miss), asked one question. To regenerate the picture:
 *
 *     npx tsx spec/browser/capture-demo.ts            # writes docs/demo.png
 *     npx tsx spec/browser/capture-demo.ts out.png    # elsewhere
 *
 * `spec/browser/demo-screenshot.spec.ts` runs the same capture, so the harness stays working.
 */
import { resolve } from 'node:path';
import { builtInExperts } from '../../src/cli/experts';
import { chooseFusion } from '../../src/cli/plugin-parts';
import { memoryCache } from '../../src/pipeline/memory-cache';
import { startDialogueServer } from '../server/server-fixtures';
import { launchChromium } from './chromium';

/** A common desktop window. */
export const DESKTOP_VIEWPORT = { width: 1280, height: 800 } as const;

/** The question the picture shows. */
export const DEMO_PROMPT = 'Why is the sky blue?';

/** What the captured page showed. */
export interface DemoCapture {
  readonly status: string;
  readonly lanes: readonly { readonly id: string; readonly state: string; readonly text: string }[];
  readonly answer: string;
}

/** Runs the default set-up, asks {@link DEMO_PROMPT} on the demo page, and writes a full-page PNG to `path` once it completed. */
export const captureDefaultRun = async (path: string): Promise<DemoCapture> => {
  const running = await startDialogueServer({ experts: builtInExperts(), fusion: chooseFusion({}, undefined), cache: memoryCache() });
  try {
    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      await page.setViewportSize(DESKTOP_VIEWPORT);
      await page.goto(`${running.origin}/`);
      await page.locator('#ask:enabled').waitFor();
      await page.fill('#prompt', DEMO_PROMPT);
      await page.click('#ask');
      await page.locator('#status[data-state="complete"]').waitFor({ timeout: 30_000 });
      await page.screenshot({ path, fullPage: true });
      return {
        status: (await page.textContent('#status')) ?? '',
        lanes: await page.$$eval('.lane', (elements) => elements.map((lane) => ({
          id: lane.getAttribute('data-expert') ?? '',
          state: lane.getAttribute('data-state') ?? '',
          text: lane.querySelector('.lane-text')?.textContent ?? '',
        }))),
        answer: (await page.textContent('#answer')) ?? '',
      };
    } finally {
      await chromium.close();
    }
  } finally {
    await running.close();
  }
};

if (require.main === module) {
  const path = resolve(process.argv[2] ?? resolve(__dirname, '../../docs/demo.png'));
  captureDefaultRun(path).then(
    (capture) => process.stdout.write(`${path}: ${capture.status}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
