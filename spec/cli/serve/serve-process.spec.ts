import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventReader, postJson } from '../../server/server-fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const KEY = 'serve-test-key';

/** Resolves with `what` once it happens, rejects after `ms`; the timer is cleared either way. */
const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
};

/** Resolves with the first match of `pattern` in the child's stdout. */
const printed = (child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    out += text;
    const match = pattern.exec(out);
    if (match !== null) resolve(match);
  });
  child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}; stdout: ${out}`)));
});

describe('npm run serve (src/cli/serve.ts)', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let stderr = '';

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-serve-'));
    fs.writeFileSync(path.join(dir, 'dialogue.config.json'), JSON.stringify({
      experts: [{ provider: 'simulated', id: 'slow', answer: 'one two three', tokenDelayMs: 60_000 }],
      cache: { type: 'sqlite', path: 'cache.sqlite' },
    }));
    const env: NodeJS.ProcessEnv = { ...process.env, DIALOGUE_API_KEY: KEY, INIT_CWD: dir };
    for (const name of ['PORT', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL']) delete env[name];
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => (stderr += text));
    exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
  });

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    child = undefined;
    stderr = '';
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves with the key from DIALOGUE_API_KEY, and on SIGTERM cancels the stream in flight and exits 0', async () => {
    const [, origin] = await within(15_000, 'the bound address', printed(child!, /Listening on (http:\/\/127\.0\.0\.1:\d+)\/\n/));
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${origin}/v1/models`)).status).toBe(401);
    const response = await postJson(`${origin}/api/dialogue`, { prompt: 'Take your time', requestId: 'slow-1' }, { authorization: `Bearer ${KEY}` });
    expect(response.status).toBe(200);
    const reader = new EventReader(response);
    await within(5000, 'the cache lookup', reader.until('cache'));

    const sent = Date.now();
    expect(child!.kill('SIGTERM')).toBe(true);
    const events = await within(5000, 'the end of the stream', reader.all());
    expect(events.at(-1)).toEqual({ type: 'cancelled', requestId: 'slow-1', reason: 'cancelled (all)' });
    expect(await within(5000, 'the process to exit', exited)).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(stderr).toBe('');
  }, 30_000);
});
