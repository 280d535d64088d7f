/**
 * The harness behind docs/demo.png (`capture-demo.ts`): it captures the default run at a desktop
 * size, and the checked-in picture is such a capture.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { captureDefaultRun, DESKTOP_VIEWPORT } from './capture-demo';

jest.setTimeout(60_000);

const ARTIFACTS = resolve(__dirname, '../../artifacts');

/** A PNG's pixel size, from its IHDR chunk. */
const pngSize = (path: string): { width: number; height: number } => {
  const bytes = readFileSync(path);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
};

describe('the demo picture harness', () => {
  it('captures the default run once it completed: three built-in experts, the best answer', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'demo-default.png');
    const capture = await captureDefaultRun(path);
    expect(capture.status).toMatch(/^complete in \d+ ms, first token after \d+ ms$/);
    expect(capture.lanes.map((lane) => [lane.id, lane.state])).toEqual([['swift', 'ok'], ['steady', 'ok'], ['deep', 'ok']]);
    expect(capture.lanes.map((lane) => lane.text)).toContain(capture.answer); // 'best' picks one expert's answer
    const size = pngSize(path);
    expect(size.width).toBe(DESKTOP_VIEWPORT.width);
    expect(size.height).toBeGreaterThanOrEqual(DESKTOP_VIEWPORT.height);
  });

  it('is what docs/demo.png was made with: a full-page capture at the desktop width', () => {
    const size = pngSize(resolve(__dirname, '../../docs/demo.png'));
    expect(size.width).toBe(DESKTOP_VIEWPORT.width);
    expect(size.height).toBeGreaterThanOrEqual(DESKTOP_VIEWPORT.height);
  });
});
