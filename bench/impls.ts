/**
 * The implementations under test, built for a workload: the pipeline (`DialoguePlugin` with
 * `simulatedExpert`s, fusion 'best' unless the workload says otherwise, the default guard
 * unless it says 'none'), the baseline (bench/baseline: the same work hand-written, with the
 * library's own guard and scorer) and the floor (bench/floor: plain async/await, only what the
 * workload needs). All run request `i` with prompt `promptOf(i)` and id `requestIdOf(i)`.
 */
import { Observable } from 'rxjs';
import type { PipelineEvent } from '../src/events';
import { DialoguePlugin } from '../src/pipeline/dialogue-plugin';
import type { Expert } from '../src/ports';
import { simulatedExpert } from '../src/sources/simulated-expert';
import { defaultGuard, noGuard } from '../src/strategies/output-guard';
import { microtaskExpert as microtaskCallbackExpert, syncExpert } from './baseline/experts';
import { startBaseline } from './baseline/request';
import { asyncTokensExpert, floorExpert } from './floor/experts';
import { startFloor } from './floor/request';
import { answerText, promptOf, requestIdOf, tokenize } from './workload';

/** Which implementation. */
export type Impl = 'pipeline' | 'baseline' | 'floor';

/**
 * How tokens arrive: 'sync' = zero delay, all at once on subscribe (`simulatedExpert` with
 * 0 ms); 'microtask' = one per microtask; 'async' = from an async generator per expert call,
 * the same one for the pipeline (through an Observable adapter) and the floor (`for await`).
 */
export type TokenMode = 'sync' | 'microtask' | 'async';

/** What each request does. */
export interface Workload {
  readonly experts: number;
  readonly tokensPerExpert: number;
  readonly tokenMode: TokenMode;
  /** Pipeline only: the default in-memory cache (with distinct prompts) or `cache: false`. */
  readonly cache: boolean;
  /** Both: `defaultGuard()`, or `noGuard` (a diagnostic: what the pipeline costs without the redactor's work). */
  readonly guard: 'default' | 'none';
  /** Pipeline only: the fusion (default 'best'). */
  readonly fusion?: 'best' | 'first';
}

/** Runs request `i`, handing every event to `onEvent`; resolves after the terminal event. */
export type Runner = (i: number, onEvent: (event: PipelineEvent) => void) => Promise<void>;

/** An Expert emitting one token per microtask; tears down (stops) at once on unsubscribe. */
const microtaskExpert = (id: string, tokens: readonly string[]): Expert => ({
  id,
  model: 'bench',
  version: '1',
  stream: () => new Observable<string>((subscriber) => {
    let i = 0;
    const step = (): void => {
      if (subscriber.closed) return;
      if (i < tokens.length) {
        subscriber.next(tokens[i++]!);
        queueMicrotask(step);
      } else {
        subscriber.complete();
      }
    };
    queueMicrotask(step);
  }),
});

/** The expert answers of a workload. */
export const answersOf = (workload: Workload): string[] =>
  Array.from({ length: workload.experts }, (_, k) => answerText(k, workload.tokensPerExpert));

/** Where the pipeline reports system errors (the bench prints them: a healthy run has none). */
export type OnSystemError = (error: unknown, context: { readonly stage: string }) => void;

/** The pipeline for a workload (one plugin, built once). */
export const pipelineRunner = (workload: Workload, onSystemError?: OnSystemError): Runner => {
  const experts = answersOf(workload).map((answer, k): Expert => (workload.tokenMode === 'sync'
    ? simulatedExpert({ id: `expert-${k}`, answer })
    : workload.tokenMode === 'async' ? asyncTokensExpert(`expert-${k}`, tokenize(answer)) : microtaskExpert(`expert-${k}`, tokenize(answer))));
  const guard = workload.guard === 'none' ? noGuard : defaultGuard();
  const plugin = new DialoguePlugin({
    experts, fusion: workload.fusion ?? 'best', guard, onSystemError, ...(workload.cache ? {} : { cache: false as const }),
    limits: { maxConcurrent: Infinity },
  });
  return (i, onEvent) => new Promise<void>((resolve, reject) => {
    plugin.process(promptOf(i), { requestId: requestIdOf(i) }).subscribe({ next: onEvent, error: reject, complete: resolve });
  });
};

/** The baseline for a workload. */
export const baselineRunner = (workload: Workload): Runner => {
  const guard = workload.guard === 'none' ? noGuard : defaultGuard();
  const experts = answersOf(workload).map((answer, k) => (workload.tokenMode === 'sync' ? syncExpert : microtaskCallbackExpert)(`expert-${k}`, tokenize(answer)));
  return (i, onEvent) => startBaseline(promptOf(i), { requestId: requestIdOf(i), experts, guard, onEvent }).done;
};

/** The floor for a workload: async generators consumed with `for await` (its token mode is always 'async'). */
export const floorRunner = (workload: Workload): Runner => {
  const experts = answersOf(workload).map((answer, k) => floorExpert(`expert-${k}`, tokenize(answer)));
  return (i, onEvent) => startFloor(requestIdOf(i), experts, onEvent).done;
};

/** The runner of an implementation. */
export const runnerFor = (impl: Impl, workload: Workload, onSystemError?: OnSystemError): Runner =>
  (impl === 'pipeline' ? pipelineRunner(workload, onSystemError) : impl === 'floor' ? floorRunner(workload) : baselineRunner(workload));
