/**
 * Drives replica processes (spec/support/replica.ts) over their JSON-line protocol, for the
 * scale-out tests and the bench. Every wait is bounded; `stopReplicas` never leaves a child.
 *
 *     const replicas = await startReplicas(3, { redisUrl, namespace });
 *     const request = replicas[0].process('[long] question', 'r1');
 *     await request.firstToken;  await replicas[1].cancel('r1');  await request.done;
 *     const latency = await measureCancelLatency(replicas[1], replicas[0], { samples: 100 });
 *     await stopReplicas(replicas);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { PipelineEvent, TerminalEvent } from '../../src/events';
import type { SimulatedExpertStats } from '../../src/sources/simulated-expert';

/** One line a replica wrote. */
export type ReplicaLine = { readonly type: string } & Record<string, unknown>;

/** A request sent to a replica. */
export interface ReplicaRequest {
  readonly events: PipelineEvent[];
  /** Resolves at the request's first token (rejects after `timeoutMs`). */
  readonly firstToken: Promise<void>;
  /** Resolves with the terminal event (rejects after `timeoutMs`). */
  readonly done: Promise<TerminalEvent>;
}

/** A running replica process. */
export interface Replica {
  readonly replicaId: string;
  readonly child: ChildProcess;
  readonly lines: ReplicaLine[];
  /** What the replica wrote on stderr (for failure messages). */
  stderr(): string;
  process(prompt: string, requestId: string, timeoutMs?: number): ReplicaRequest;
  cancel(id: string): Promise<{ here: boolean; at: number }>;
  cancelAnywhere(id: string): Promise<{ result: boolean; at: number; ms: number }>;
  stats(): Promise<Record<string, SimulatedExpertStats>>;
  /** The first line (received so far or later) matching `match`; rejects after `timeoutMs`. */
  waitFor(what: string, match: (line: ReplicaLine) => boolean, timeoutMs?: number): Promise<ReplicaLine>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** Asks it to close the plugin and exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Where and how the replicas run. */
export interface ReplicaOptions {
  readonly redisUrl: string;
  readonly namespace: string;
  /** Extra environment (EXPERT_FIRST_MS, EXPERT_TOKEN_MS, LOCK_TTL_MS). */
  readonly env?: Readonly<Record<string, string>>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_WAIT_MS = 10_000;
const START_WAIT_MS = 20_000;

/** Starts one replica and waits until it is ready. */
export const startReplica = async (replicaId: string, options: ReplicaOptions): Promise<Replica> => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('spec', 'support', 'replica.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, REDIS_URL: options.redisUrl, NAMESPACE: options.namespace, REPLICA_ID: replicaId },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: ReplicaLine[] = [];
  const waiters = new Set<(line: ReplicaLine) => void>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: ReplicaLine;
    try {
      line = JSON.parse(text) as ReplicaLine;
    } catch {
      stderr += `(stdout) ${text}\n`;
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) waiter(line);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve())); // after its output was read
  let ref = 0;
  const send = (command: Record<string, unknown>): void => {
    child.stdin?.write(`${JSON.stringify(command)}\n`);
  };

  const waitFor = (what: string, match: (line: ReplicaLine) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<ReplicaLine> =>
    new Promise<ReplicaLine>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen !== undefined) return resolve(seen);
      const fail = (why: string): void => {
        clearTimeout(timer);
        waiters.delete(check);
        reject(new Error(`replica ${replicaId}: no ${what} ${why}; stderr:\n${stderr}`));
      };
      const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
      const check = (line: ReplicaLine): void => {
        if (!match(line)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(line);
      };
      waiters.add(check);
      // A replica that exited writes nothing more: fail at once.
      void exited.then(() => {
        if (waiters.has(check)) fail('before it exited');
      });
    });

  const ask = (command: Record<string, unknown>, type: string): Promise<ReplicaLine> => {
    const mine = ++ref;
    send({ ...command, ref: mine });
    return waitFor(`${type} reply`, (line) => line.type === type && line.ref === mine);
  };

  const replica: Replica = {
    replicaId,
    child,
    lines,
    stderr: () => stderr,
    process: (prompt, requestId, timeoutMs = DEFAULT_WAIT_MS) => {
      const events: PipelineEvent[] = [];
      const ofRequest = (line: ReplicaLine): boolean => line.type === 'event' && line.requestId === requestId;
      const collect = (line: ReplicaLine): void => {
        if (ofRequest(line)) events.push(line.event as PipelineEvent);
      };
      waiters.add(collect);
      send({ cmd: 'process', prompt, requestId });
      const firstToken = waitFor(`first token of ${requestId}`, (line) => ofRequest(line) && (line.event as PipelineEvent).type === 'token', timeoutMs).then(() => undefined);
      const done = waitFor(`terminal event of ${requestId}`, (line) => ofRequest(line) && ['complete', 'error', 'cancelled'].includes((line.event as PipelineEvent).type), timeoutMs)
        .then((line) => line.event as TerminalEvent)
        .finally(() => waiters.delete(collect));
      firstToken.catch(() => undefined);
      done.catch(() => undefined); // handled by whoever awaits it; not an unhandled rejection otherwise
      return { events, firstToken, done };
    },
    cancel: async (id) => {
      const line = await ask({ cmd: 'cancel', id }, 'cancel');
      return { here: line.here as boolean, at: line.at as number };
    },
    cancelAnywhere: async (id) => {
      const line = await ask({ cmd: 'cancelAnywhere', id }, 'cancelAnywhere');
      return { result: line.result as boolean, at: line.at as number, ms: line.ms as number };
    },
    stats: async () => (await ask({ cmd: 'stats' }, 'stats')).stats as Record<string, SimulatedExpertStats>,
    waitFor,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async (timeoutMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      send({ cmd: 'close', ref: ++ref });
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor('ready line', (line) => line.type === 'ready', START_WAIT_MS);
  } catch (error) {
    await replica.kill();
    throw error;
  }
  return replica;
};

/** Starts `count` replicas (ids r0, r1, ... after `prefix`) in parallel. */
export const startReplicas = async (count: number, options: ReplicaOptions, prefix = 'r'): Promise<Replica[]> => {
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startReplica(`${prefix}${i}`, options)));
  const replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) {
    await stopReplicas(replicas);
    throw failed.reason;
  }
  return replicas;
};

/** Stops every replica (gracefully, then SIGKILL) and waits for their exits. */
export const stopReplicas = async (replicas: readonly Replica[]): Promise<void> => {
  await Promise.all(replicas.map((replica) => replica.stop()));
};

/** Nearest-rank percentile of `values` (0 < p <= 100). */
export const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** Cross-replica cancel latency figures, in ms. */
export interface CancelLatency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Cancel on `from` to the LAST expert's teardown on `to`, one per sample. */
  readonly samples: readonly number[];
  /** Cancel on `from` to the FIRST expert's teardown on `to`. */
  readonly firstTeardown: { readonly p50: number; readonly p99: number };
}

/**
 * Measures the time from `from.cancel(id)` to the experts' teardown on `to`, where the request
 * runs: each sample starts a long request on `to`, waits for its first token, cancels it on
 * `from`, and reads both processes' timestamps (shared clock: `performance.timeOrigin +
 * performance.now()`, see replica.ts). Sequential, one request at a time.
 */
export const measureCancelLatency = async (from: Replica, to: Replica, { samples = 100, label = 'lat' } = {}): Promise<CancelLatency> => {
  const lastTeardowns: number[] = [];
  const firstTeardowns: number[] = [];
  const run = `${label}-${Date.now().toString(36)}`;
  for (let i = 0; i < samples; i++) {
    const id = `${run}-${i}`;
    const request = to.process(`[long] latency probe ${id}`, id);
    await request.firstToken;
    const { at } = await from.cancel(id);
    const terminal = await request.done;
    if (terminal.type !== 'cancelled') throw new Error(`latency probe ${id} ended with ${terminal.type}, not cancelled`);
    const teardowns: number[] = [];
    for (const expertId of ['alpha', 'beta', 'gamma']) {
      const line = await to.waitFor(`teardown of ${expertId} for ${id}`, (l) => l.type === 'teardown' && l.requestId === id && l.expertId === expertId);
      teardowns.push(line.at as number);
    }
    lastTeardowns.push(Math.max(...teardowns) - at);
    firstTeardowns.push(Math.min(...teardowns) - at);
  }
  return {
    p50: percentile(lastTeardowns, 50),
    p99: percentile(lastTeardowns, 99),
    max: Math.max(...lastTeardowns),
    samples: lastTeardowns,
    firstTeardown: { p50: percentile(firstTeardowns, 50), p99: percentile(firstTeardowns, 99) },
  };
};
