import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fakeOpenAIServer, type FakeOpenAIServer } from '../../support/fake-openai-server';
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

  const serve = (env: NodeJS.ProcessEnv, args: readonly string[] = []): void => {
    const all: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: dir, ...env };
    for (const name of ['PORT', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'DIALOGUE_API_KEY', 'DIALOGUE_API_KEYS_FILE', 'DIALOGUE_METRICS_KEY', 'DIALOGUE_LOG_LEVEL']) {
      if (env[name] === undefined) delete all[name];
    }
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', '--port', '0', ...args], { cwd: ROOT, env: all, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => (stderr += text));
    exited = new Promise((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-serve-'));
  });

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    child = undefined;
    stderr = '';
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves with the key from DIALOGUE_API_KEY, and on SIGTERM cancels the stream in flight and exits 0', async () => {
    fs.writeFileSync(path.join(dir, 'dialogue.config.json'), JSON.stringify({
      experts: [{ provider: 'simulated', id: 'slow', answer: 'one two three', tokenDelayMs: 60_000 }],
      cache: { type: 'sqlite', path: 'cache.sqlite' },
    }));
    serve({ DIALOGUE_API_KEY: KEY }, ['--log-level', 'silent']);
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

  describe('with tenants and a hostile upstream', () => {
    const ALICE = 'alice-serve-key-0123456789';
    const BOB = 'bob-serve-key-0123456789';
    const UPSTREAM_KEY = 'sk-upstream-0123456789abcdefghij';
    const HOSTILE = `sk-proj-${'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2'}`;
    const GITHUB = `ghp_${'Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8'}`;
    let upstream: FakeOpenAIServer;
    afterEach(() => upstream.close());

    it('reads the keys file, logs one JSON line per request on stdout, and never prints a key', async () => {
      const error = `data: ${JSON.stringify({ error: { code: HOSTILE, type: GITHUB, message: `bad key ${HOSTILE}` } })}\n\n`;
      upstream = await fakeOpenAIServer(Array.from({ length: 12 }, () => ({ writes: [error] })));
      const keysFile = path.join(dir, 'keys.json');
      fs.writeFileSync(keysFile, JSON.stringify({ [ALICE]: { tenant: 'alice' }, [BOB]: { tenant: 'bob' } }), { mode: 0o600 });
      serve({ DIALOGUE_API_KEYS_FILE: keysFile, OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_MODEL: 'm' }, ['--no-cache']);
      let stdout = '';
      child!.stdout!.setEncoding('utf8');
      child!.stdout!.on('data', (text: string) => (stdout += text));
      const [, origin] = await within(15_000, 'the bound address', printed(child!, /Listening on (http:\/\/127\.0\.0\.1:\d+)\/\n/));
      const alice = await (await postJson(`${origin}/api/dialogue`, { prompt: 'hi', requestId: 'r1' }, { authorization: `Bearer ${ALICE}` })).text();
      expect(alice).toContain('event: error');
      expect((await postJson(`${origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${BOB}` })).status).toBe(500);
      expect((await fetch(`${origin}/v1/models`, { headers: { authorization: `Bearer ${HOSTILE}` } })).status).toBe(401);
      expect((await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${ALICE}` } })).status).toBe(403);
      child!.kill('SIGTERM');
      expect(await within(5000, 'the process to exit', exited)).toEqual({ code: 0, signal: null });

      const [listening, ...logLines] = stdout.trimEnd().split('\n');
      expect(listening).toMatch(/^Listening on /);
      const requests = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request');
      expect(requests.map(({ route, tenant, status, outcome }) => ({ route, tenant, status, outcome }))).toEqual([
        { route: '/api/dialogue', tenant: 'alice', status: 200, outcome: 'error' },
        { route: '/v1/chat/completions', tenant: 'bob', status: 500, outcome: 'error' },
        { route: '/v1/models', tenant: undefined, status: 401, outcome: 'error' },
        { route: '/metrics', tenant: undefined, status: 403, outcome: 'error' },
      ]);
      expect(stderr).toContain('System error (expert:m');
      // The expert quotes no key-shaped error code; what it prints is the redacted, code-free message.
      expect(stderr).toContain('The server reported an error in the stream\n');
      for (const text of [stdout, stderr]) {
        for (const secret of [ALICE, BOB, UPSTREAM_KEY, HOSTILE, GITHUB]) expect(text).not.toContain(secret);
      }
    }, 30_000);
  });
});
