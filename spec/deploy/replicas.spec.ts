/**
 * What docker-compose.yml runs, without Docker: one `serve` process per server service of the
 * compose file, started with the Dockerfile's entrypoint flags and the service's environment
 * (its Redis host pointed at a private redis-server), so the files are tested as written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { PipelineEvent } from '../../src/events';
import { pollUntil, startRedis, type TestRedis } from '../support/redis-server';
import { postJson, sseEvents } from '../server/server-fixtures';
import { deployText, dockerStages, execForm, interpolate, ROOT, yamlFile } from './deploy-files';

jest.setTimeout(40_000);

const KEY = 'compose-test-key';
/** Safety nets only: the assertions are about outcomes. */
const START_MS = 20_000;

interface Service { readonly build?: { dockerfile: string }; readonly environment?: Record<string, string> }

/** Resolves with `promise`, or rejects after `ms` naming `what`; the timer is cleared either way. */
const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
};

interface Replica { readonly name: string; readonly child: ChildProcess; readonly exited: Promise<number | null>; origin: string; stderr: string }

const start = (name: string, env: Record<string, string>, cwd: string): Replica => {
  const entrypoint = execForm(dockerStages(deployText('Dockerfile')).at(-1)!.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)!.args);
  const base: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: cwd };
  for (const key of Object.keys(base)) if (/^(PORT|DIALOGUE_|OPENAI_)/.test(key)) delete base[key];
  // The entrypoint's flags, then loopback and a free port for this machine (the last --host wins).
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/serve.ts', ...entrypoint.slice(2), '--host', '127.0.0.1', '--port', '0'], {
    cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const replica: Replica = { name, child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), origin: '', stderr: '' };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => (replica.stderr += text));
  return replica;
};

const listening = (replica: Replica): Promise<string> => new Promise((resolve, reject) => {
  let out = '';
  replica.child.stdout!.setEncoding('utf8');
  replica.child.stdout!.on('data', (text: string) => {
    out += text;
    const match = /Listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
    if (match !== null) resolve(match[1]);
  });
  replica.child.once('exit', (code) => reject(new Error(`${replica.name} exited with ${code} before listening; stderr: ${replica.stderr}`)));
});

describe('the servers of docker-compose.yml, as processes', () => {
  let redis: TestRedis | undefined;
  let replicas: Replica[] = [];
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dialogue-compose-'));
  });
  afterEach(async () => {
    for (const { child } of replicas) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(replicas.map((replica) => replica.exited));
    await redis?.stop();
    replicas = [];
    redis = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('share answers through Redis, are ready until Redis goes away (alive all along), and exit 0 on SIGTERM', async () => {
    redis = await startRedis({ private: true });
    const { services } = yamlFile<{ services: Record<string, Service> }>('docker-compose.yml');
    const servers = Object.entries(services).filter(([, service]) => service.build?.dockerfile === 'deploy/Dockerfile');
    expect(servers.map(([name]) => name)).toEqual(['dialogue-a', 'dialogue-b']);
    replicas = servers.map(([name, service]) => {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), { DIALOGUE_API_KEY: KEY })]));
      expect(env.DIALOGUE_REDIS_URL).toBe('redis://redis:6379');
      return start(name, { ...env, DIALOGUE_REDIS_URL: redis!.url }, dir);
    });
    for (const replica of replicas) replica.origin = await within(START_MS, `${replica.name} to listen`, listening(replica));
    const [a, b] = replicas;
    const readyz = async (replica: Replica) => (await fetch(`${replica.origin}/readyz`)).status;
    expect(await Promise.all(replicas.map(readyz))).toEqual([200, 200]);

    const ask = async (replica: Replica): Promise<PipelineEvent[]> =>
      sseEvents(await postJson(`${replica.origin}/api/dialogue`, { prompt: 'What do replicas share?' }, { authorization: `Bearer ${KEY}` }));
    const first = await ask(a);
    expect(first.find((event) => event.type === 'cache')).toEqual(expect.objectContaining({ hit: false }));
    expect(first.at(-1)).toEqual(expect.objectContaining({ type: 'complete' }));
    await pollUntil('the answer to be stored in Redis', async () => (await ask(b)).some((event) => event.type === 'cache' && event.hit));

    await redis.stop();
    await pollUntil('both servers to report Redis gone', async () => (await Promise.all(replicas.map(readyz))).every((status) => status === 503));
    expect(await (await fetch(`${b.origin}/readyz`)).json()).toEqual(expect.objectContaining({ status: 'unready', reason: 'cache-error' }));
    expect(await Promise.all(replicas.map(async (r) => (await fetch(`${r.origin}/healthz`)).status))).toEqual([200, 200]);

    for (const { child } of replicas) child.kill('SIGTERM');
    expect(await within(10_000, 'both servers to exit', Promise.all(replicas.map((r) => r.exited)))).toEqual([0, 0]);
    for (const { stderr } of replicas) {
      expect(stderr.match(/^Warning: Redis cache not reachable, answering uncached: .*\(reported once; GET \/readyz shows whether it is back\)$/gm)).toHaveLength(1);
      expect(stderr).not.toContain(redis.url);
      expect(stderr).not.toContain('Server error');
    }
  });
});
