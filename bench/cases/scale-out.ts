/**
 * Case (e): three replica processes (spec/support/replica.ts, each a `DialoguePlugin` with three
 * simulated experts, `redisCache` and `redisCoordinator`) on one Redis (spec/support/redis-server.ts:
 * the machine's shared server in a random namespace, or a private `redis-server`). Two figures:
 *
 * 1. Cross-replica cancel: a long request runs on replica A; after its first token, `cancel(id)`
 *    on replica B; time from that call (B's clock) to the experts' teardown on A (A's clock).
 *    Both timestamps come from inside the replicas (`performance.timeOrigin + performance.now()`,
 *    one clock for every process of the machine); `measureCancelLatency` (spec/support/replica-cluster.ts)
 *    does the sampling, sequentially.
 * 2. Single flight across replicas: a new prompt is sent to A, B and C at once (three stdin writes in
 *    one tick, A first). One replica wins the flight's lock and runs the experts (the leader); the
 *    others follow its log in Redis. Time to first token (TTFT) per replica: from just before the
 *    `process` command is written to its stdin to its first `token` event. replica.ts's event lines
 *    carry no timestamp, so that moment is taken here, in the bench process that talks to all three
 *    over stdio, when it parses the line (the pipe hops are in every replica's figure and mostly
 *    cancel in follower - leader; this process's scheduling among five busy processes on the
 *    machine adds jitter). Should the lines ever carry `at` (shared clock), it is used instead.
 *    Cross-check: each replica's own `metrics.ttft` (its `start` to its first token, `Date.now()`,
 *    whole ms). The leader is whichever replica's experts started (`stats.started`, read from each
 *    replica before and after the prompt), so the figures hold whichever replica won; the sum over
 *    the cluster must be 3 per prompt (three experts started once).
 *
 * Effort: `--budget` scales the sample counts (3000 -> 200 cancels and 50 prompts); `--warmup`
 * is the number of unmeasured cancels before (and a quarter of it the unmeasured prompts).
 * Everything is stopped at the end: the replicas (close, then SIGKILL), then the Redis keys of the
 * namespace (shared server) or the server (private).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connectRaw, startRedis, type TestRedis } from '../../spec/support/redis-server';
import { measureCancelLatency, startReplicas, stopReplicas, type Replica } from '../../spec/support/replica-cluster';
import type { CompleteEvent, MetricsEvent, PipelineEvent } from '../../src/events';
import type { Impl } from '../impls';
import type { Effort } from '../measure';
import type { ScaleOutCaseResult } from '../result';
import { summarize } from '../stats';

const REPLICAS = 3;
/** replica.ts builds three experts: alpha, beta, gamma. */
const EXPERTS = 3;
const EXPERT_FIRST_MS = 20;
const EXPERT_TOKEN_MS = 10;

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Experts started on a replica so far (all three experts). */
const startedOn = async (replica: Replica): Promise<number> => sum(Object.values(await replica.stats()).map((s) => s.started));

/** Epoch ms with sub-ms precision on the clock every process of the machine shares (as replica.ts's `sharedNow`). */
const sharedNow = (): number => performance.timeOrigin + performance.now();

/** Where the first-token timestamps came from. */
let stampedBy: 'replica' | 'bench' | 'mixed' | undefined;

/**
 * Resolves with the moment of the first `token` line of `requestId`, on the shared clock: the
 * line's own `at` if the replica stamps event lines, otherwise the moment this process parses it.
 * Call it before sending the request: the matcher runs synchronously in the replica's line handler.
 */
const firstTokenSeen = (replica: Replica, requestId: string): Promise<number> => {
  let at = Number.NaN;
  return replica.waitFor(`first token of ${requestId}`, (line) => {
    if (line.type !== 'event' || line.requestId !== requestId || (line.event as PipelineEvent).type !== 'token') return false;
    if (Number.isNaN(at)) {
      const stamped = typeof line.at === 'number';
      at = stamped ? line.at as number : sharedNow();
      const by = stamped ? 'replica' : 'bench';
      stampedBy = stampedBy === undefined || stampedBy === by ? by : 'mixed';
    }
    return true;
  }).then(() => at);
};

/** One prompt sent to every replica at once. */
interface Flight {
  /** Per replica: ms from writing the command to its first token line (see {@link firstTokenSeen}). */
  readonly ttftMs: readonly number[];
  /** Per replica: the `metrics` event's `ttft` (the replica's own clock, `Date.now()`: whole ms, from its `start` event); NaN without one. */
  readonly metricsTtftMs: readonly number[];
  /** Per replica: experts started there for this prompt. */
  readonly started: readonly number[];
  readonly allComplete: boolean;
  readonly sameText: boolean;
}

const flight = async (replicas: readonly Replica[], prompt: string, idOf: (k: number) => string): Promise<Flight> => {
  const before = await Promise.all(replicas.map(startedOn));
  const seen = replicas.map((replica, k) => firstTokenSeen(replica, idOf(k)));
  const sentAt: number[] = [];
  const requests = replicas.map((replica, k) => {
    sentAt[k] = sharedNow();
    return replica.process(prompt, idOf(k));
  });
  const firsts = await Promise.all(seen);
  const terminals = await Promise.all(requests.map((request) => request.done));
  const after = await Promise.all(replicas.map(startedOn));
  const texts = terminals.map((t) => (t.type === 'complete' ? (t as CompleteEvent).text : undefined));
  return {
    ttftMs: firsts.map((at, k) => at - sentAt[k]!),
    metricsTtftMs: requests.map((request) => {
      const metrics = request.events.find((e): e is MetricsEvent => e.type === 'metrics');
      return metrics?.metrics.ttft ?? Number.NaN;
    }),
    started: after.map((n, k) => n - before[k]!),
    allComplete: terminals.every((t) => t.type === 'complete'),
    sameText: new Set(texts).size === 1,
  };
};

/** CPU ms (user + system) a live process has used so far, from /proc (Linux); NaN elsewhere. */
const clockTicks = (): number => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(out.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
};
const processCpuMs = (pid: number | undefined, ticksPerSecond: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000; // utime, stime: the 14th and 15th
  } catch {
    return Number.NaN;
  }
};

/** The Redis server's own CPU ms so far (INFO cpu; every client's work on a shared server). */
const redisCpuMs = async (url: string): Promise<number> => {
  const client = await connectRaw(url);
  try {
    const info = await client.info('cpu');
    const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  } catch {
    return Number.NaN;
  } finally {
    client.destroy();
  }
};

const keysLeft = async (url: string, pattern: string): Promise<number> => {
  const client = await connectRaw(url);
  try {
    let n = 0;
    for await (const keys of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) n += keys.length;
    return n;
  } finally {
    client.destroy();
  }
};

export const scaleOutCase = async (name: string, impl: Impl, effort: Effort): Promise<ScaleOutCaseResult> => {
  const cancelSamples = Math.max(10, Math.round(effort.budgetMs / 15));
  const prompts = Math.max(5, Math.round(effort.budgetMs / 60));
  const cancelWarmup = Math.round(effort.warmup);
  const flightWarmup = Math.max(1, Math.round(effort.warmup / 4));
  const t0 = performance.now();
  const redis: TestRedis = await startRedis();
  let replicas: Replica[] = [];
  const wallMs = { start: 0, cancel: 0, flight: 0, stop: 0 };
  const cpu = { replicasMs: Number.NaN, redisMs: Number.NaN };
  try {
    const redisCpuBefore = await redisCpuMs(redis.url);
    replicas = await startReplicas(REPLICAS, {
      redisUrl: redis.url, namespace: redis.namespace,
      env: { EXPERT_FIRST_MS: String(EXPERT_FIRST_MS), EXPERT_TOKEN_MS: String(EXPERT_TOKEN_MS) },
    });
    const [a, b] = replicas as [Replica, Replica, Replica];
    const t1 = performance.now();
    wallMs.start = t1 - t0;

    // (1) cancel on B -> teardown on A.
    if (cancelWarmup > 0) await measureCancelLatency(b, a, { samples: cancelWarmup, label: 'e-warm' });
    const latency = await measureCancelLatency(b, a, { samples: cancelSamples, label: 'e-cancel' });
    const activeAfter = sum(Object.values(await a.stats()).map((s) => s.active));
    const t2 = performance.now();
    wallMs.cancel = t2 - t1;

    // (2) single flight: the same new prompt to A, B and C at once.
    const run = Date.now().toString(36);
    for (let i = 0; i < flightWarmup; i++) await flight(replicas, `e-scale-out warm-up ${run} ${i}`, (k) => `e-warm-${run}-${i}-${k}`);
    const flights: Flight[] = [];
    for (let i = 0; i < prompts; i++) flights.push(await flight(replicas, `e-scale-out flight ${run} ${i}`, (k) => `e-flight-${run}-${i}-${k}`));
    const t3 = performance.now();
    wallMs.flight = t3 - t2;

    const ticks = clockTicks();
    cpu.replicasMs = sum(replicas.map((replica) => processCpuMs(replica.child.pid, ticks)));
    cpu.redisMs = (await redisCpuMs(redis.url)) - redisCpuBefore;

    const leaderOf = (f: Flight): number => (f.started.filter((n) => n > 0).length === 1 ? f.started.findIndex((n) => n > 0) : -1);
    const led = flights.filter((f) => leaderOf(f) >= 0);
    const leaderTtft = led.map((f) => f.ttftMs[leaderOf(f)]!);
    const followerTtft = led.flatMap((f) => f.ttftMs.filter((_, k) => k !== leaderOf(f)));
    const overhead = led.flatMap((f) => f.ttftMs.filter((_, k) => k !== leaderOf(f)).map((ms) => ms - f.ttftMs[leaderOf(f)]!));
    const worstOverhead = led.map((f) => Math.max(...f.ttftMs.filter((_, k) => k !== leaderOf(f))) - f.ttftMs[leaderOf(f)]!);
    const withMetrics = led.filter((f) => f.metricsTtftMs.every(Number.isFinite));
    const metricsLeader = withMetrics.map((f) => f.metricsTtftMs[leaderOf(f)]!);
    const metricsFollower = withMetrics.flatMap((f) => f.metricsTtftMs.filter((_, k) => k !== leaderOf(f)));
    const metricsOverhead = withMetrics.flatMap((f) => f.metricsTtftMs.filter((_, k) => k !== leaderOf(f)).map((ms) => ms - f.metricsTtftMs[leaderOf(f)]!));
    const startedPerPrompt = flights.map((f) => sum(f.started));
    const result: ScaleOutCaseResult = {
      kind: 'scale-out', case: name, impl,
      replicas: REPLICAS, experts: EXPERTS, expertFirstTokenMs: EXPERT_FIRST_MS, expertTokenMs: EXPERT_TOKEN_MS,
      redis: redis.private ? 'private redis-server' : `shared server at ${redis.url}`,
      cancel: {
        samples: latency.samples.length, warmup: cancelWarmup,
        toLastTeardownMs: summarize(latency.samples),
        toFirstTeardownMs: { p50: latency.firstTeardown.p50, p99: latency.firstTeardown.p99 },
        activeExpertsAfter: activeAfter,
      },
      flight: {
        prompts: flights.length, warmup: flightWarmup,
        leaderCounts: replicas.map((_, k) => flights.filter((f) => leaderOf(f) === k).length),
        noSingleLeader: flights.length - led.length,
        leaderTtftMs: summarize(leaderTtft),
        followerTtftMs: summarize(followerTtft),
        followerOverheadMs: summarize(overhead),
        slowerFollowerOverheadMs: summarize(worstOverhead),
        firstTokenStampedBy: stampedBy ?? 'bench',
        metricsTtftMs: { leader: summarize(metricsLeader), follower: summarize(metricsFollower), followerOverhead: summarize(metricsOverhead) },
        expertsStarted: sum(startedPerPrompt),
        promptsStartedOnce: startedPerPrompt.filter((n) => n === EXPERTS).length,
        startedPerPrompt: { min: Math.min(...startedPerPrompt), max: Math.max(...startedPerPrompt) },
        allComplete: flights.filter((f) => f.allComplete).length,
        sameText: flights.filter((f) => f.sameText).length,
      },
      wallMs,
      helperCpuMs: cpu,
      keysLeftAfterStop: null,
    };
    const t4 = performance.now();
    await stopReplicas(replicas);
    replicas = [];
    await redis.stop();
    wallMs.stop = performance.now() - t4;
    return { ...result, keysLeftAfterStop: redis.private ? null : await keysLeft(redis.url, `${redis.namespace}*`) };
  } finally {
    await stopReplicas(replicas); // only if something above threw: otherwise already stopped (and emptied)
    await redis.stop(); // idempotent
  }
};
