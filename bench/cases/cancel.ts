/**
 * Case (c): time from cancel to the experts' teardown. 3 experts x 100 tokens, one token every
 * `TOKEN_DELAY_MS` from a real timer. The cancel lands either BETWEEN tokens (a timer fires at a
 * seeded random moment and calls `plugin.cancel(id)` / `controller.abort()`) or INSIDE a token
 * callback (the consumer cancels when the k-th token event arrives, k seeded random).
 * The probe records `process.hrtime.bigint()` right after each expert's own teardown ran
 * (pipeline: `finalize` on the `simulatedExpert`'s stream; baseline: after `clearInterval` in
 * the abort listener). Several requests run at once so the run collects enough cancels.
 */
import { finalize } from 'rxjs';
import type { PipelineEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { Expert } from '../../src/ports';
import { simulatedExpert, type SimulatedExpert } from '../../src/sources/simulated-expert';
import { defaultGuard } from '../../src/strategies/output-guard';
import { timerExpert } from '../baseline/experts';
import { startBaseline } from '../baseline/request';
import { startFloor } from '../floor/request';
import { closedLoop, warmUp } from '../drive';
import type { Impl } from '../impls';
import type { Effort } from '../measure';
import type { CancelCaseResult } from '../result';
import { summarize } from '../stats';
import { answerText, promptOf, requestIdOf, seededRandom, tokenize } from '../workload';

/** Where the cancel lands. */
export type CancelMode = 'between' | 'inside';

const EXPERTS = 3;
const TOKENS = 100;
const TOKEN_DELAY_MS = 1;
const CONCURRENCY = 8;

/** One request's probe. */
interface Probe { cancelAt: bigint; cancelledAt: bigint; teardowns: bigint[]; late: boolean }

/** Starts request `i`; returns its completion and a cancel function that reports whether the request was still running. */
type Start = (i: number, onEvent: (event: PipelineEvent) => void) => { done: Promise<void>; cancel: () => boolean };

const pipelineStarter = (probes: Map<string, Probe>): { start: Start; experts: SimulatedExpert[] } => {
  const experts = Array.from({ length: EXPERTS }, (_, k) =>
    simulatedExpert({ id: `expert-${k}`, answer: answerText(k, TOKENS), firstTokenDelayMs: TOKEN_DELAY_MS, tokenDelayMs: TOKEN_DELAY_MS }));
  const probed = experts.map((expert): Expert => ({
    id: expert.id,
    model: expert.model,
    version: expert.version,
    stream: (task) => expert.stream(task).pipe(finalize(() => {
      const at = process.hrtime.bigint();
      probes.get(task.requestId)?.teardowns.push(at);
    })),
  }));
  const plugin = new DialoguePlugin({ experts: probed, fusion: 'best' });
  const start: Start = (i, onEvent) => {
    const requestId = requestIdOf(i);
    let cancel = (): boolean => false;
    const done = new Promise<void>((resolve, reject) => {
      plugin.process(promptOf(i), { requestId }).subscribe({ next: onEvent, error: reject, complete: resolve });
      cancel = () => plugin.cancel(requestId);
    });
    return { done, cancel };
  };
  return { start, experts };
};

const baselineStarter = (probes: Map<string, Probe>): Start => {
  const onTeardown = (requestId: string): void => {
    const at = process.hrtime.bigint();
    probes.get(requestId)?.teardowns.push(at);
  };
  const guard = defaultGuard();
  const experts = Array.from({ length: EXPERTS }, (_, k) => timerExpert(`expert-${k}`, tokenize(answerText(k, TOKENS)), TOKEN_DELAY_MS, onTeardown));
  return (i, onEvent) => {
    let running = true;
    const run = startBaseline(promptOf(i), {
      requestId: requestIdOf(i), experts, guard,
      onEvent: (event) => {
        if (event.type === 'complete' || event.type === 'cancelled' || event.type === 'error') running = false;
        onEvent(event);
      },
    });
    return { done: run.done, cancel: () => (running ? (run.cancel(), true) : false) };
  };
};

/**
 * The floor: `startFloor` with experts that are async generators waiting on a 1 ms timer per
 * token; an abort clears the timer at once and then calls the probe.
 */
const floorStarter = (probes: Map<string, Probe>): Start => {
  const timerTokens = (requestId: string, tokens: readonly string[]) => async function* tokensEvery(signal: AbortSignal): AsyncGenerator<string> {
    for (const token of tokens) {
      const aborted = await new Promise<boolean>((resolve) => {
        const onAbort = (): void => {
          clearTimeout(timer);
          const at = process.hrtime.bigint();
          probes.get(requestId)?.teardowns.push(at);
          resolve(true);
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve(false);
        }, TOKEN_DELAY_MS);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (aborted) return;
      yield token;
    }
  };
  return (i, onEvent) => {
    const requestId = requestIdOf(i);
    const experts = Array.from({ length: EXPERTS }, (_, k) => ({ id: `expert-${k}`, stream: timerTokens(requestId, tokenize(answerText(k, TOKENS))) }));
    let running = true;
    const run = startFloor(requestId, experts, (event) => {
      if (event.type === 'complete' || event.type === 'cancelled' || event.type === 'error') running = false;
      onEvent(event);
    });
    return { done: run.done, cancel: () => (running ? (run.cancel(), true) : false) };
  };
};

/** Runs case (c) for one implementation. */
export const cancelCase = async (name: string, impl: Impl, mode: CancelMode, effort: Effort): Promise<CancelCaseResult> => {
  const probes = new Map<string, Probe>();
  const pipeline = impl === 'pipeline' ? pipelineStarter(probes) : undefined;
  const start = pipeline?.start ?? (impl === 'floor' ? floorStarter(probes) : baselineStarter(probes));
  const random = seededRandom(0xc0ffee);
  const toLast: number[] = [];
  const toFirst: number[] = [];
  const toCancelled: number[] = [];
  let recording = false;
  let teardowns = 0;

  const runOne = async (i: number): Promise<void> => {
    const requestId = requestIdOf(i);
    const probe: Probe = { cancelAt: 0n, cancelledAt: 0n, teardowns: [], late: false };
    probes.set(requestId, probe);
    const cancelAfterTokens = 3 + Math.floor(random() * 150);
    const cancelAfterMs = 2 + random() * 38;
    let tokens = 0;
    let timer: NodeJS.Timeout | undefined;
    const fire = (): void => {
      probe.cancelAt = process.hrtime.bigint();
      probe.late = !request.cancel();
    };
    const request = start(i, (event) => {
      if (event.type === 'token' && mode === 'inside' && ++tokens === cancelAfterTokens) fire();
      else if (event.type === 'cancelled') probe.cancelledAt = process.hrtime.bigint();
    });
    if (mode === 'between') timer = setTimeout(fire, cancelAfterMs);
    await request.done;
    clearTimeout(timer);
    probes.delete(requestId);
    if (!recording || probe.late || probe.cancelAt === 0n) return;
    teardowns += probe.teardowns.length;
    if (probe.teardowns.length < EXPERTS || probe.cancelledAt === 0n) throw new Error(`${name}/${impl}: request ${i} was cancelled but only ${probe.teardowns.length} experts tore down`);
    let first = probe.teardowns[0]!;
    let last = first;
    for (const at of probe.teardowns) {
      if (at < first) first = at;
      if (at > last) last = at;
    }
    toLast.push(Number(last - probe.cancelAt));
    toFirst.push(Number(first - probe.cancelAt));
    toCancelled.push(Number(probe.cancelledAt - probe.cancelAt));
  };

  const first = await warmUp(runOne, { first: 0, count: effort.warmup, minMs: effort.warmupMs, concurrency: CONCURRENCY });
  recording = true;
  const cancelledBefore = pipeline?.experts.reduce((sum, expert) => sum + expert.stats.cancelled, 0) ?? 0;
  await closedLoop(runOne, { first, concurrency: CONCURRENCY, budgetMs: effort.budgetMs, minRequests: CONCURRENCY * 4 });
  const expertStatsCancelled = pipeline === undefined ? undefined
    : pipeline.experts.reduce((sum, expert) => sum + expert.stats.cancelled, 0) - cancelledBefore;
  return {
    kind: 'cancel', case: name, impl, mode, experts: EXPERTS, tokenDelayMs: TOKEN_DELAY_MS, concurrency: CONCURRENCY,
    samples: toLast.length, toLastTeardownNs: summarize(toLast), toFirstTeardownNs: summarize(toFirst),
    toCancelledEventNs: summarize(toCancelled), teardowns, ...(expertStatsCancelled === undefined ? {} : { expertStatsCancelled }),
  };
};
