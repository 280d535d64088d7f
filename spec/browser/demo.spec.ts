/// <reference lib="dom" />
/**
 * The demo page (`GET /`) in real headless Chromium, against a real server on 127.0.0.1 whose
 * plugin runs three simulated experts with real delays: the page's script under its CSP, the
 * API key field, live lanes, Stop reaching the experts, a full answer with its section headings
 * and the waterfall (also on a phone-sized screen), the cache badge on a repeat, text that looks
 * like HTML staying text, and no failed request or console error along the way.
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

const BETA_HEADING = `Why not violet? ${XSS}`;

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
      + `about five times more than red light.\n\n## ${BETA_HEADING}\n\nViolet is scattered even more, but the sun emits less of it and our eyes are less sensitive to it.`,
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

/** The conversation panel's turns: role and text. */
const turns = (page: Page) => page.$$eval('#conversation .turn', (elements) => elements.map((turn) => [(turn as HTMLElement).dataset.role, turn.textContent]));

/** The fused answer as the server sent it in `complete` (the page shows it split into blocks): the last assistant turn. */
const fusedText = (page: Page) => page.$eval('#conversation', (element) => Array.from(element.querySelectorAll('.turn-assistant')).at(-1)?.textContent ?? '');

/** The page's lanes: expert id, state and text. */
const lanes = (page: Page) => page.$$eval('.lane', (elements) => elements.map((lane) => ({
  id: (lane as HTMLElement).dataset.expert,
  state: (lane as HTMLElement).dataset.state,
  text: lane.querySelector('.lane-text')?.textContent ?? '',
})));

interface Box { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number; readonly width: number }
interface ChartGeometry {
  readonly svg: Box;
  /** CSS pixels per viewBox unit. */
  readonly scale: number;
  readonly texts: readonly (Box & { readonly text: string; readonly className: string })[];
  readonly bars: readonly Box[];
}

/** Where the waterfall's texts and bars are on the screen. */
const waterfallGeometry = (page: Page): Promise<ChartGeometry> => page.$eval('#waterfall', (element) => {
  const chart = element as SVGSVGElement;
  const box = (el: Element) => {
    const { left, right, top, bottom, width } = el.getBoundingClientRect();
    return { left, right, top, bottom, width };
  };
  return {
    svg: box(chart),
    scale: chart.getScreenCTM()?.a ?? 0,
    texts: Array.from(chart.querySelectorAll('text'), (text) => ({ ...box(text), text: text.textContent ?? '', className: text.getAttribute('class') ?? '' })),
    bars: Array.from(chart.querySelectorAll('rect.wf-bar'), box),
  };
});

const overlap = (a: Box, b: Box): boolean =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;

/** Every text cut off by the chart's edges, every two texts that overlap, every label that runs into the bars. */
const problemsOf = ({ svg, texts, bars }: ChartGeometry): string[] => {
  const barsStart = Math.min(...bars.map((bar) => bar.left));
  return [
    ...texts.filter((text) => text.left < svg.left - 0.5 || text.right > svg.right + 0.5).map((text) => `clipped: ${text.text}`),
    ...texts.flatMap((a, i) => texts.slice(i + 1).filter((b) => overlap(a, b)).map((b) => `overlap: ${a.text} / ${b.text}`)),
    ...texts.filter((text) => text.className === 'wf-label' && text.right > barsStart + 0.5).map((text) => `label over the bars: ${text.text}`),
  ];
};

describe('the demo page (GET /) in headless Chromium', () => {
  let running: Running;
  let chromium: Chromium;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleProblems: string[] = [];
  const failedRequests: string[] = [];

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
      if (message.type() === 'error' || message.type() === 'warning') consoleProblems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('requestfailed', (request) => failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? '?'}`));
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
    expect(await page.textContent('#status')).toMatch(/^cancelled in \d+ ms/); // once, not "cancelled: cancelled"
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
    // The sections fusion's `### <expert>` lines and an expert's own `## ...` line are headings, their text still text.
    const blocks = await page.$$eval('#answer > *', (elements) => elements.map((element) => [element.tagName.toLowerCase(), element.textContent]));
    expect(blocks.map(([tag]) => tag)).toEqual(['h5', 'p', 'h5', 'p', 'h4', 'p', 'h5', 'p']);
    expect(blocks.filter(([tag]) => tag !== 'p').map(([, text]) => text)).toEqual(['alpha', 'beta', BETA_HEADING, 'gamma']);
    expect(blocks[1][1]).toContain(XSS);
    expect(blocks[7][1]).toBe(GAMMA);
    expect(await page.textContent('#answer')).not.toContain('#');
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

  it('sends a follow-up with the whole conversation, and shows the earlier turns as text', async () => {
    const first = await fusedText(page);
    const request = page.waitForRequest((r) => r.url().endsWith('/api/dialogue'));
    await ask(page, 'And at sunset?');
    expect(JSON.parse((await request).postData() ?? '{}')).toEqual(expect.objectContaining({ messages: [
      { role: 'user', content: 'Why is the sky blue? Answer briefly.' },
      { role: 'assistant', content: first },
      { role: 'user', content: 'And at sunset?' },
    ] }));
    await page.locator('#status[data-state="complete"]').waitFor();
    expect(await page.textContent('#cache-badge')).toBe('cache miss'); // the same experts' answers, but another conversation
    expect(await turns(page)).toEqual([
      ['user', 'Why is the sky blue? Answer briefly.'], ['assistant', first],
      ['user', 'And at sunset?'], ['assistant', await fusedText(page)],
    ]);
    expect(await page.locator('img').count()).toBe(0); // the answers' tags stay text in the conversation too
  });

  it('New chat clears the conversation: the same question is then answered from the cache, with the badge, still as text', async () => {
    await page.click('#new-chat');
    expect(await turns(page)).toEqual([]);
    expect(await page.isHidden('#conversation')).toBe(true);
    const started = sum((expert) => expert.stats.started);
    const request = page.waitForRequest((r) => r.url().endsWith('/api/dialogue'));
    await ask(page, 'Why is the sky blue? Answer briefly.');
    expect(JSON.parse((await request).postData() ?? '{}').messages).toEqual([{ role: 'user', content: 'Why is the sky blue? Answer briefly.' }]);
    await page.locator('#status[data-state="complete"]').waitFor();
    expect(await page.textContent('#cache-badge')).toBe('cache hit');
    expect(await page.textContent('#status')).toContain('from the cache');
    expect(await page.textContent('#answer')).toContain(XSS); // one `cache` token holding the whole tag
    expect(await page.locator('img').count()).toBe(0);
    expect(sum((expert) => expert.stats.started)).toBe(started);
    expect((await lanes(page)).map((lane) => lane.state)).toEqual(['skipped', 'skipped', 'skipped']);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-cache-hit.png'), fullPage: true });
  });

  it('keeps the timing chart readable on a 390 px wide screen, and redraws it when the width changes', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await ask(page, 'Why is the sunset red?');
      await page.locator('#status[data-state="complete"]').waitFor();
      const chart = await waterfallGeometry(page);
      expect(chart.svg.width).toBeLessThan(390);
      expect(chart.scale).toBeCloseTo(1, 1); // drawn at its real width: the 11 px text stays 11 px
      expect(chart.texts.filter((text) => text.className === 'wf-label').map((text) => text.text)).toEqual([
        'validation', 'routing', 'cache', 'execution', 'fusion', 'outputGuard', 'expert alpha', 'expert beta', 'expert gamma',
      ]);
      expect(problemsOf(chart)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, 'demo-390.png'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1200, height: 900 });
    }
    await page.waitForFunction(() => Number(document.querySelector('#waterfall')!.getAttribute('viewBox')?.split(' ')[2]) > 1000);
    const wide = await waterfallGeometry(page);
    expect(wide.scale).toBeCloseTo(1, 1);
    expect(problemsOf(wide)).toEqual([]);
  });

  it('raised no dialog, script error, CSP violation, console error or failed request along the way', () => {
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    // The one console error is the browser's own line for the 401 the key test asked for; finished streams fail nothing.
    expect(consoleProblems).toEqual(['error: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    expect(failedRequests).toEqual([]);
  });
});
