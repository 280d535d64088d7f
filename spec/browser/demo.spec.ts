/// <reference lib="dom" />
/**
 * The demo page (`GET /`) in real headless Chromium, against a real server on 127.0.0.1 whose
 * plugin runs three simulated experts with real delays: the page's script under its CSP, the
 * API key field, live lanes, Stop reaching the experts, a full answer with the waterfall, the
 * cache badge on a repeat, and a token that looks like HTML staying text.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { memoryCache } from '../../src/pipeline/memory-cache';
import { simulatedExpert, type SimulatedExpert } from '../../src/sources/simulated-expert';
import { startDialogueServer, waitFor, type Running } from '../server/server-fixtures';
import { launchChromium, type Chromium } from './chromium';

jest.setTimeout(60_000);

const KEY = 'demo-test-key';
const XSS = '<img src=x onerror=alert(1)>';
const ARTIFACTS = resolve(__dirname, '../../artifacts');

const GAMMA = 'Air molecules are much smaller than the wavelength of visible light, which makes them scatter blue light far more than red. '
  + 'At sunset the light crosses much more air, the blue is scattered away before it reaches you, and the sky turns orange and red.';

const experts: SimulatedExpert[] = [
  simulatedExpert({
    id: 'alpha', model: 'sim-small', version: '1', firstTokenDelayMs: 50, tokenDelayMs: 20,
    answer: `Sunlight scatters off air molecules, and short blue wavelengths scatter the most. A tag such as ${XSS} in an answer is only text. `
      + 'That scattered blue light reaches your eyes from every direction of the sky, so the whole dome looks blue during the day.',
  }),
  simulatedExpert({
    id: 'beta', model: 'sim-medium', version: '2', firstTokenDelayMs: 100, tokenDelayMs: 30,
    answer: 'Rayleigh scattering is the reason: its strength grows with the fourth power of frequency, so blue light is scattered '
      + 'about five times more than red light. Violet is scattered even more, but the sun emits less of it and our eyes are less sensitive to it.',
  }),
  simulatedExpert({
    id: 'gamma', model: 'sim-large', version: '3', firstTokenDelayMs: 200, tokenDelayMs: 40,
    faults: [{ attempt: 1, afterTokens: 4, error: 'unavailable' }], // a 503 mid-stream: retried, partial text discarded
    answer: GAMMA,
  }),
];

const sum = (pick: (expert: SimulatedExpert) => number): number => experts.reduce((total, expert) => total + pick(expert), 0);

/** Submits `prompt` from the page's form. */
const ask = async (page: Page, prompt: string): Promise<void> => {
  await page.fill('#prompt', prompt);
  await page.click('#ask');
};

/** The page's lanes: expert id, state and text. */
const lanes = (page: Page) => page.$$eval('.lane', (elements) => elements.map((lane) => ({
  id: (lane as HTMLElement).dataset.expert,
  state: (lane as HTMLElement).dataset.state,
  text: lane.querySelector('.lane-text')?.textContent ?? '',
})));

describe('the demo page (GET /) in headless Chromium', () => {
  let running: Running;
  let chromium: Chromium;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    chromium = await launchChromium();
    running = await startDialogueServer({ experts, fusion: 'sections', cache: memoryCache(), retry: { baseDelayMs: 100 } }, { apiKey: KEY });
    page = await chromium.context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Trusted Type/i.test(message.text())) pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await chromium?.close();
    await running?.close();
  });

  it('serves the page without the API key, with a strict CSP its script runs under', async () => {
    const response = await page.goto(`${running.origin}/`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-[A-Za-z0-9+/]+=*'; connect-src 'self';/);
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    await page.locator('#ask:enabled').waitFor(); // the inline script ran: it enables the button
  });

  it('says that a key is needed when the server has one and the field is empty', async () => {
    await ask(page, 'Why is the sky blue?');
    await page.locator('#status[data-state="error"]').waitFor();
    expect(await page.textContent('#status')).toContain('HTTP 401');
    await page.fill('#api-key', KEY);
  });

  it('fills one lane per expert live, and Stop cancels the request down to the experts', async () => {
    const cancelledBefore = sum((expert) => expert.stats.cancelled);
    await ask(page, 'Why is the sky blue?');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.lane-text')).filter((text) => (text.textContent ?? '') !== '').length >= 2);
    expect((await lanes(page)).map((lane) => lane.id)).toEqual(['alpha', 'beta', 'gamma']);
    expect(await page.textContent('#plan [data-field="experts"]')).toBe('alpha (sim-small 1), beta (sim-medium 2), gamma (sim-large 3)');
    expect(sum((expert) => expert.stats.active)).toBeGreaterThan(0);

    await page.click('#stop');
    await page.locator('#status[data-state="cancelled"]').waitFor();
    await waitFor(() => sum((expert) => expert.stats.active) === 0, 5000, 'every expert to be unsubscribed');
    expect(sum((expert) => expert.stats.cancelled)).toBeGreaterThan(cancelledBefore);
    expect(running.plugin.active()).toEqual([]);
    expect((await lanes(page)).some((lane) => lane.state === 'cancelled')).toBe(true);
    expect(await page.isDisabled('#stop')).toBe(true);
  });

  it('runs a question to completion: lanes, fused answer, waterfall, cache miss, tokens as text', async () => {
    await ask(page, 'Why is the sky blue? Answer briefly.');
    await page.locator('#status[data-state="complete"]').waitFor();

    const done = await lanes(page);
    expect(done.map((lane) => [lane.id, lane.state])).toEqual([['alpha', 'ok'], ['beta', 'ok'], ['gamma', 'ok']]);
    expect(done[0].text).toContain(XSS);
    expect(done[2].text).toBe(GAMMA); // the failed attempt's words were dropped on `discard`
    expect(await page.textContent('.lane[data-expert="gamma"] .lane-retry')).toMatch(/^retry 1\/2 in \d+ms \(.+\)$/);
    const answer = (await page.textContent('#answer')) ?? '';
    expect(answer).toMatch(/^### alpha\n\n/);
    expect(answer).toContain(XSS);
    expect(answer).toContain('### gamma');
    expect(await page.textContent('#cache-badge')).toBe('cache miss');
    expect(await page.isHidden('#degraded-badge')).toBe(true);
    expect(await page.locator('img').count()).toBe(0);

    const rows = await page.$$eval('#waterfall .wf-row', (groups) => groups.map((group) => ({
      label: group.getAttribute('data-label'),
      x: Number(group.querySelector('rect')?.getAttribute('x')),
    })));
    expect(rows.map((row) => row.label)).toEqual(['validation', 'routing', 'cache', 'execution', 'fusion', 'outputGuard', 'alpha', 'beta', 'gamma']);
    const stages = rows.slice(0, 6).map((row) => row.x);
    expect(stages).toEqual([...stages].sort((a, b) => a - b)); // left to right on the time axis
    expect(await page.locator('#waterfall .wf-tick').count()).toBeGreaterThan(1);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
  });

  it('answers the same question again from the cache, with the badge, still as text', async () => {
    const started = sum((expert) => expert.stats.started);
    await ask(page, 'Why is the sky blue? Answer briefly.');
    await page.locator('#status[data-state="complete"]').waitFor();
    expect(await page.textContent('#cache-badge')).toBe('cache hit');
    expect(await page.textContent('#status')).toContain('from the cache');
    expect(await page.textContent('#answer')).toContain(XSS); // one `cache` token holding the whole tag
    expect(await page.locator('img').count()).toBe(0);
    expect(sum((expert) => expert.stats.started)).toBe(started);
    expect((await lanes(page)).map((lane) => lane.state)).toEqual(['skipped', 'skipped', 'skipped']);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-cache-hit.png'), fullPage: true });
  });

  it('raised no dialog, script error or CSP violation along the way', () => {
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
