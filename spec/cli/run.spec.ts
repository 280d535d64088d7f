import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestScheduler } from 'rxjs/testing';
import { CLEAR_BELOW, HIDE_CURSOR, SHOW_CURSOR } from '../../src/cli/ansi';
import { BUILT_IN_SPEEDS, builtInExperts } from '../../src/cli/experts';
import { run, type CliIO, type RunRequest } from '../../src/cli/run';
import { simulatedExpert } from '../../src/sources/simulated-expert';

/** A writable that keeps what it was given, and when (by `now`). */
const sink = (now: () => number = () => 0) => {
  const writes: Array<{ at: number; text: string }> = [];
  return { write: (text: string) => writes.push({ at: now(), text }), text: () => writes.map((w) => w.text).join(''), writes };
};

const terminal = ({ isTTY = false, columns = 80, env = {}, now }: { isTTY?: boolean; columns?: number; env?: Record<string, string>; now?: () => number } = {}) => {
  const stdout = sink(now);
  const stderr = sink(now);
  const io: CliIO = { stdout, stderr, isTTY, columns: () => columns, env };
  return { io, stdout, stderr };
};

const fastExperts = () => builtInExperts({ speeds: BUILT_IN_SPEEDS.map((speed) => ({ ...speed, firstTokenDelayMs: 0, tokenDelayMs: 0 })) });

/** A clock that moves 21 ms per reading: a run reads it twice. */
const ticking = () => {
  let t = 0;
  return () => (t += 21);
};

const request = (over: Partial<RunRequest> = {}): RunRequest =>
  ({ prompt: 'What is a monad?', fusion: 'best', scope: undefined, cacheFile: 'cache.sqlite', json: false, color: true, ...over });

const answerAfter = (stdout: string, header: string): string => stdout.split(`${header}\n`)[1].split('\n')[0];

describe('run', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-cli-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers with one line per expert, the answer and the timings, then answers again from the SQLite cache', async () => {
    const first = terminal();
    expect(await run(request(), { io: first.io, cwd: dir, experts: fastExperts(), now: ticking() })).toBe(0);
    const out = first.stdout.text();
    const expertLines = out.split('\n').filter((line) => /^\[(swift|steady|deep)\] /.test(line));
    expect(expertLines.map((line) => line.split(']')[0])).toEqual(['[swift', '[steady', '[deep']);
    expect(new Set(expertLines.map((line) => line.replace(/^\[\w+\] /, ''))).size).toBe(3);
    const answer = answerAfter(out, 'Answer (21 ms):');
    expect(expertLines.map((line) => line.replace(/^\[\w+\] /, ''))).toContain(answer);
    expect(out).toMatch(/\nStage +ms\nvalidation +\d+\nrouting +\d+\ncache +\d+\nexecution +\d+\nfusion +\d+\noutputGuard +\d+\ntotal +\d+\nttft +\d+\n/);
    expect(out).toMatch(/\nExpert +ttft +ms +tokens +attempts +outcome\nswift +\d+ +\d+ +\d+ +1 +ok\nsteady .*ok\ndeep .*ok\n\nBottlenecks: /);
    expect(first.stderr.text()).toBe('');
    expect(fs.existsSync(path.join(dir, 'cache.sqlite'))).toBe(true);

    const second = terminal();
    expect(await run(request(), { io: second.io, cwd: dir, experts: fastExperts(), now: ticking() })).toBe(0);
    const again = second.stdout.text();
    expect(again.startsWith('\nAnswer (from cache, 21 ms):\n')).toBe(true);
    expect(answerAfter(again, 'Answer (from cache, 21 ms):')).toBe(answer);
    expect(again).toContain('\nExperts: none ran (cache hit)\n');
    expect(again).not.toContain('[swift]');
    expect(second.stderr.text()).toBe('');
  });

  it('keeps scopes apart in the cache', async () => {
    await run(request({ scope: 'a' }), { io: terminal().io, cwd: dir, experts: fastExperts() });
    const other = terminal();
    expect(await run(request({ scope: 'b' }), { io: other.io, cwd: dir, experts: fastExperts() })).toBe(0);
    expect(other.stdout.text()).not.toContain('from cache');
  });

  it('draws lanes on a terminal, hiding the cursor while it does and showing it at the end', async () => {
    const tty = terminal({ isTTY: true, columns: 60 });
    expect(await run(request({ cacheFile: false, color: false }), { io: tty.io, experts: fastExperts(), now: ticking() })).toBe(0);
    const out = tty.stdout.text();
    expect(out.startsWith(HIDE_CURSOR)).toBe(true);
    expect(out.split(SHOW_CURSOR)).toHaveLength(2);
    expect(out.indexOf(SHOW_CURSOR)).toBeLessThan(out.indexOf('Answer (21 ms):'));
    const lanes = out.split(SHOW_CURSOR)[0].split(CLEAR_BELOW).at(-2)!.split('\n').map((line) => line.replace(/^.*\u001b\[2K/, ''));
    expect(lanes.slice(0, 3).map((line) => line.slice(0, 19))).toEqual(['swift   done       ', 'steady  done       ', 'deep    done       ']);
    expect(lanes.every((line) => Array.from(line).length < 60)).toBe(true);
    expect(out).not.toContain('\u001b[1m');
  });

  it('colors a terminal unless NO_COLOR is set', async () => {
    const colored = terminal({ isTTY: true });
    await run(request({ cacheFile: false }), { io: colored.io, experts: fastExperts() });
    expect(colored.stdout.text()).toContain('\u001b[1mAnswer (');
    const plain = terminal({ isTTY: true, env: { NO_COLOR: '1' } });
    await run(request({ cacheFile: false }), { io: plain.io, experts: fastExperts() });
    expect(plain.stdout.text()).toContain('\nAnswer (');
    expect(plain.stdout.text()).not.toContain('\u001b[1m');
  });

  it('redraws the lanes at most once per frame interval while tokens stream', async () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    let pending: Promise<number> | undefined;
    let tty: ReturnType<typeof terminal> | undefined;
    scheduler.run(({ flush }) => {
      tty = terminal({ isTTY: true, now: () => scheduler.now() });
      const experts = builtInExperts({ speeds: [{ id: 'swift', firstTokenDelayMs: 10, tokenDelayMs: 5 }, { id: 'deep', firstTokenDelayMs: 100, tokenDelayMs: 20 }] });
      pending = run(request({ cacheFile: false }), { io: tty.io, experts, frameMs: 50 });
      flush();
    });
    expect(await pending).toBe(0);
    const frames = tty!.stdout.writes.filter((w) => w.text.includes(CLEAR_BELOW)).map((w) => w.at);
    expect(frames.length).toBeGreaterThan(3);
    frames.slice(1, -1).forEach((at, i) => expect(at - frames[i]).toBeGreaterThanOrEqual(50));
  });

  it('prints every event as one JSON line with --json', async () => {
    const json = terminal({ isTTY: true });
    expect(await run(request({ json: true }), { io: json.io, cwd: dir, experts: fastExperts() })).toBe(0);
    const events = json.stdout.text().trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(events[0].type).toBe('start');
    expect(events.map((e) => e.type)).toContain('token');
    expect(events.slice(-2).map((e) => e.type)).toEqual(['metrics', 'complete']);
  });

  it('reports an invalid request on stderr with every issue, exit code 2', async () => {
    const bad = terminal();
    expect(await run(request({ prompt: 'bad\u0001prompt', cacheFile: false }), { io: bad.io, experts: fastExperts() })).toBe(2);
    expect(bad.stderr.text()).toMatch(/^Invalid request:\n(  - .+\n)+$/);
  });

  it('reports a system error with its message, exit code 1', async () => {
    const failing = ['a', 'b'].map((id) => simulatedExpert({ id, faults: [{ error: 'bad-request' }] }));
    const broken = terminal();
    expect(await run(request({ cacheFile: false }), { io: broken.io, experts: failing })).toBe(1);
    expect(broken.stderr.text()).toMatch(/^Error: .+\n$/);
    expect(broken.stdout.text()).toContain('[a] failed');
  });

  it('cancels when the signal aborts: stops the experts, says Cancelled. on stderr, exit code 130', async () => {
    const controller = new AbortController();
    const swift = simulatedExpert({ id: 'swift', answer: 'quick answer' });
    const stuck = simulatedExpert({ id: 'stuck', faults: [{ error: 'stall' }] });
    const stdout = sink();
    const stderr = sink();
    const io: CliIO = {
      stdout: { write: (text: string) => { stdout.write(text); if (text.startsWith('[swift]')) controller.abort(); } },
      stderr, isTTY: false, columns: () => 80,
    };
    expect(await run(request(), { io, cwd: dir, experts: [swift, stuck], signal: controller.signal })).toBe(130);
    expect(stdout.text()).toBe('[swift] quick answer\n');
    expect(stderr.text()).toBe('Cancelled.\n');
    expect(stuck.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 0, cancelled: 1 });
  });

  it('shows the cursor again after a cancelled terminal run', async () => {
    const tty = terminal({ isTTY: true });
    const controller = new AbortController();
    const stuck = simulatedExpert({ id: 'stuck', faults: [{ afterTokens: 2, error: 'stall' }], answer: 'a b c' });
    const pending = run(request({ cacheFile: false, color: false }), { io: tty.io, experts: [stuck], signal: controller.signal, frameMs: 0 });
    controller.abort();
    expect(await pending).toBe(130);
    expect(tty.stderr.text()).toBe('Cancelled.\n');
    expect(tty.stdout.text().endsWith(SHOW_CURSOR)).toBe(true);
    expect(tty.stdout.text()).toMatch(/stuck  cancelled  a\n/);
  });

  it('turns an error building the plugin into exit code 1', async () => {
    const broken = terminal();
    const twins = [simulatedExpert({ id: 'x' }), simulatedExpert({ id: 'x' })];
    expect(await run(request({ cacheFile: false }), { io: broken.io, experts: twins })).toBe(1);
    expect(broken.stderr.text()).toMatch(/^Error: DialoguePlugin: invalid options: .*"x" is used twice/);
  });
});
