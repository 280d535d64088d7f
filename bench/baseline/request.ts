/**
 * The hand-written baseline: the same observable work as the pipeline with plain async/await
 * and callbacks. Every expert runs at once; each token goes through that expert's redactor
 * (`guard.open().push()`) and out to the consumer as a `token` event the moment it arrives; an
 * expert's end flushes its redactor and emits an `expert` event; then `pickBest` fuses and
 * `guard.apply()` cleans the final text for the `complete` event. An AbortController cancels.
 *
 * Not done here (pipeline-only work, so part of what the bench measures as pipeline cost):
 * validation, routing and the `plan` event, the cache key (SHA-256), cache lookup and write,
 * the `cache` event, per-attempt timeouts, retries, stage timings and the `metrics` event.
 */
import type { PipelineEvent } from '../../src/events';
import type { ExpertAnswer, OutputGuard } from '../../src/ports';
import { pickBest } from '../../src/strategies/agreement-scorer';
import type { CallbackExpert } from './experts';

/** One baseline request. */
export interface BaselineOptions {
  readonly requestId: string;
  readonly experts: readonly CallbackExpert[];
  readonly guard: OutputGuard;
  readonly onEvent: (event: PipelineEvent) => void;
}

/** A running request: `done` settles after the terminal event; `cancel()` aborts it. */
export interface BaselineRun {
  readonly done: Promise<void>;
  cancel(): void;
}

/** Runs one expert to its answer; rejects when the signal aborts first. */
const runExpert = (expert: CallbackExpert, prompt: string, options: BaselineOptions, signal: AbortSignal): Promise<ExpertAnswer> =>
  new Promise<ExpertAnswer>((resolve, reject) => {
    const { requestId, guard, onEvent } = options;
    const source = expert.id;
    const redactor = guard.open();
    const startedAt = performance.now();
    let text = '';
    let tokens = 0;
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    expert.stream({ requestId, prompt }, (token) => {
      text += token;
      tokens++;
      const safe = redactor.push(token);
      if (safe.length > 0) onEvent({ type: 'token', requestId, source, text: safe });
    }, () => {
      signal.removeEventListener('abort', onAbort);
      const rest = redactor.flush();
      if (rest.length > 0) onEvent({ type: 'token', requestId, source, text: rest });
      const ms = performance.now() - startedAt;
      onEvent({ type: 'expert', requestId, expertId: source, outcome: 'ok', ms, tokens });
      resolve({ expertId: source, text, ms, tokens });
    }, signal);
  });

const run = async (prompt: string, options: BaselineOptions, signal: AbortSignal): Promise<void> => {
  const { requestId, experts, guard, onEvent } = options;
  onEvent({ type: 'start', requestId, at: performance.now() });
  try {
    const answers = await Promise.all(experts.map((expert) => runExpert(expert, prompt, options, signal)));
    const best = pickBest(answers);
    onEvent({ type: 'complete', requestId, text: guard.apply(best.text), fromCache: false, degraded: false });
  } catch (error) {
    if (!signal.aborted) throw error;
    onEvent({ type: 'cancelled', requestId, reason: 'cancelled' });
  }
};

/** Starts a request. */
export const startBaseline = (prompt: string, options: BaselineOptions): BaselineRun => {
  const controller = new AbortController();
  return { done: run(prompt, options, controller.signal), cancel: () => controller.abort() };
};
