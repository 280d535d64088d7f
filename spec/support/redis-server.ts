/**
 * A Redis server for tests: the machine's shared one at 127.0.0.1:6379 when it answers PING
 * (tests then stay inside a random namespace and delete only their own keys), otherwise — or
 * when asked for a private one — a `redis-server` child process on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createClient } from '@redis/client';

/** A running Redis server. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Unique to this handle: use it, or `${namespace}:<name>`, as every cache's namespace. */
  readonly namespace: string;
  /** True for a child process of this test (which `stop` and `restart` control). */
  readonly private: boolean;
  /** Private: kills the server and waits for it to exit. Shared: deletes this handle's keys; the server keeps running. Idempotent. */
  stop(): Promise<void>;
  /** Private only: starts the server again on the same port (empty) and waits until it is ready. */
  restart(): Promise<void>;
  /** Private: the server process' id (for SIGSTOP/SIGCONT), until it is stopped. Shared: undefined. */
  pid(): number | undefined;
}

const SHARED_PORT = 6379;
const START_TIMEOUT_MS = 10_000;
const INSTALL_HINT = "redis-server was not found on PATH: install Debian's redis-server package (apt-get install redis-server); the project's .ci/run installs it.";

/** Uses the shared server when it answers PING (unless `private`), otherwise starts a private one. */
export const startRedis = async ({ private: wantPrivate = false } = {}): Promise<TestRedis> => {
  const namespace = `dp-test:${randomBytes(8).toString('hex')}`;
  if (!wantPrivate && (await answersPing(SHARED_PORT))) {
    const url = `redis://127.0.0.1:${SHARED_PORT}`;
    let stopped: Promise<void> | undefined;
    return {
      url, port: SHARED_PORT, namespace, private: false,
      stop: () => (stopped ??= deleteKeys(url, `${namespace}*`)),
      restart: () => Promise.reject(new Error('refusing to restart the shared Redis: use startRedis({ private: true })')),
      pid: () => undefined,
    };
  }
  const binary = findOnPath('redis-server');
  if (binary === undefined) throw new Error(INSTALL_HINT);
  const { port, child: first } = await spawnOnFreePort(binary);
  let child = first;
  return {
    url: `redis://127.0.0.1:${port}`, port, namespace, private: true,
    stop: () => killServer(child),
    restart: async () => {
      await killServer(child);
      child = await spawnServer(binary, port);
    },
    pid: () => (child.exitCode === null && child.signalCode === null ? child.pid : undefined),
  };
};

/** Opens a plain client (for looking behind the cache); the caller closes it. */
export const connectRaw = async (url: string) => {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => undefined); // a test that stops the server expects errors
  await client.connect();
  return client;
};

/** Resolves once `check` returns true; rejects with `what` after `timeoutMs`. Polls every `everyMs`. */
export const pollUntil = async (what: string, check: () => Promise<boolean> | boolean, { timeoutMs = 5000, everyMs = 10 } = {}): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};

const deleteKeys = async (url: string, pattern: string): Promise<void> => {
  const client = await connectRaw(url);
  try {
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      if (keys.length > 0) await client.unlink(keys);
    }
  } finally {
    client.destroy();
  }
};

/** True when something on 127.0.0.1:`port` answers a raw RESP PING with +PONG (no auth needed). */
const answersPing = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });

const findOnPath = (name: string): string | undefined =>
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, name))
    .find((file) => {
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** Another process may take the free port before the server binds it: then try another one. */
const spawnOnFreePort = async (binary: string, attempts = 3): Promise<{ port: number; child: ChildProcess }> => {
  const port = await freePort();
  try {
    return { port, child: await spawnServer(binary, port) };
  } catch (error) {
    if (attempts <= 1) throw error;
    return spawnOnFreePort(binary, attempts - 1);
  }
};

/** Starts `redis-server` in the foreground, without persistence, and resolves once it accepts connections. */
const spawnServer = (binary: string, port: number): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Never leave a server behind if the test process ends without stopping it.
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    let output = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} ${why}; its output:\n${output}`));
    };
    const timer = setTimeout(() => fail(`was not ready after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      child.stdout?.off('data', onOutput);
      child.stdout?.resume(); // keep draining, or a chatty server would block on a full pipe
      child.off('exit', onEarlyExit);
      resolve(child);
    };
    const onEarlyExit = (code: number | null): void => fail(`exited with code ${String(code)} before it was ready`);
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.once('exit', onEarlyExit);
    child.once('error', (error) => fail(`could not start (${error.message})`));
  });

const killServer = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    child.kill('SIGCONT'); // a server a test froze (SIGSTOP) only handles SIGTERM once it runs again
  });
