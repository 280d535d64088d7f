/**
 * `npm run serve` under a process manager, which signals npm's pid (not the server's): the
 * server cancels the streams in flight, flushes the cache, and the whole tree exits 0.
 * Also Ctrl-C in a terminal, which signals npm's whole process group (npm then forwards it too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PipelineEvent } from '../../../src/events';
import { openRaw } from '../../support/raw-sqlite';
import { descendants, stillRunning, type ProcessEntry } from '../../support/process-tree';
import { pollUntil } from '../../support/redis-server';
import { EventReader, postJson } from '../../server/server-fixtures';

jest.setTimeout(30_000);

const ROOT = path.resolve(__dirname, '../../..');
/** Safety nets only: the assertions are about order and outcomes. */
const START_MS = 20_000;
const END_MS = 10_000;

/** Resolves with `promise`, or rejects after `ms` naming `what`; the timer is cleared either way. */
const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
};

const printedPort = (child: ChildProcess): Promise<number> => new Promise((resolve, reject) => {
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    out += text;
    const match = /Listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    if (match !== null) resolve(Number(match[1]));
  });
  child.once('exit', (code) => reject(new Error(`npm exited with ${code} before listening; stdout: ${out}`)));
});

const portIsFree = (port: number): Promise<boolean> => new Promise((resolve) => {
  const probe = net.createServer();
  probe.once('error', () => resolve(false));
  probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
});

const CONFIG = {
  experts: [
    { provider: 'simulated', id: 'fast', answer: 'Four.', firstTokenDelayMs: 1, tokenDelayMs: 1 },
    { provider: 'simulated', id: 'slow', answer: 'one two three', tokenDelayMs: 60_000 },
  ],
  router: { type: 'intent', routes: { math: { experts: ['fast'] } }, fallback: { experts: ['slow'] } },
};

describe('npm run serve, stopped through npm', () => {
  let dir: string;
  let npm: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let stderr = '';

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-npm-serve-'));
    fs.writeFileSync(path.join(dir, 'dialogue.config.json'), JSON.stringify(CONFIG));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['PORT', 'DIALOGUE_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL']) delete env[name];
    // detached: npm leads a process group of its own, as under a terminal or a process manager.
    const args = ['--port', '0', '--config', path.join(dir, 'dialogue.config.json'), '--cache-file', path.join(dir, 'cache.sqlite')];
    npm = spawn('npm', ['run', '--silent', 'serve', '--', ...args], {
      cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stderr!.setEncoding('utf8');
    npm.stderr!.on('data', (text: string) => (stderr += text));
    exited = new Promise((resolve) => npm!.once('exit', (code, signal) => resolve({ code, signal })));
  });

  afterEach(async () => {
    // Whatever a failed test left in npm's process group (also orphans, once npm is gone).
    try {
      if (npm?.pid !== undefined) process.kill(-npm.pid, 'SIGKILL');
    } catch {
      // ESRCH: nothing left.
    }
    await exited;
    npm = undefined;
    stderr = '';
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['SIGTERM to npm', 'SIGTERM', 'npm'],
    ['SIGINT to npm', 'SIGINT', 'npm'],
    ["Ctrl-C (SIGINT to npm's process group)", 'SIGINT', 'group'],
  ] as const)('on %s: cancels the stream in flight, keeps the answer just completed, exits 0 and leaves nothing behind', async (_name, signal, target) => {
    const port = await within(START_MS, 'the server to listen', printedPort(npm!));
    const origin = `http://127.0.0.1:${port}`;
    const tree: ProcessEntry[] = descendants(npm!.pid!);
    expect(tree.map((entry) => entry.command)).toContain('node');

    const slow = new EventReader(await postJson(`${origin}/api/dialogue`, { prompt: 'Take your time', requestId: 'slow-1' }));
    await within(END_MS, 'the slow request to start', slow.until('cache'));
    const fast = await within(END_MS, 'the fast answer', new EventReader(await postJson(`${origin}/api/dialogue`, { prompt: 'Solve 2 + 2', requestId: 'fast-1' })).all());
    const answered = fast.at(-1) as PipelineEvent;
    expect(answered).toEqual(expect.objectContaining({ type: 'complete', requestId: 'fast-1', fromCache: false }));

    process.kill(target === 'npm' ? npm!.pid! : -npm!.pid!, signal);
    const events = await within(END_MS, 'the end of the slow stream', slow.all());
    expect(events.at(-1)).toEqual({ type: 'cancelled', requestId: 'slow-1', reason: 'cancelled (all)' });
    expect(await within(END_MS, 'npm to exit', exited)).toEqual({ code: 0, signal: null });
    expect(stderr).toBe('');

    await pollUntil('every process of the tree to end', () => !tree.some(stillRunning), { timeoutMs: END_MS, everyMs: 20 });
    expect(await portIsFree(port)).toBe(true);
    const raw = await openRaw(path.join(dir, 'cache.sqlite'));
    try {
      const rows = await raw.all('SELECT value FROM cache');
      expect(rows.map((row) => (JSON.parse(row.value as string) as { value: { text: string } }).value.text)).toEqual([(answered as { text: string }).text]);
    } finally {
      await raw.close();
    }
  });
});
