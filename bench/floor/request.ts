/**
 * The floor: what a plain hand-written async/await implementation of the workload costs, and
 * nothing more. Each expert is an async iterable of tokens (the natural shape of a provider's
 * stream in async/await code); the request runs them at once (`Promise.all` of `for await`
 * loops), hands every token to the consumer as a `token` event the moment it arrives, ends
 * each expert with an `expert` event, and completes with the first expert's text.
 *
 * Deliberately NOT done here (the pipeline does all of it, and the bench reports the cost):
 * validation, routing, the cache key and lookup, deadlines, retries, circuit breakers, the
 * guard, the fusion's scoring (the floor takes the first answer), metrics. It does keep what
 * any real implementation must: one AbortController per request, so a cancel stops the
 * experts, and the answer text.
 */
import type { PipelineEvent } from '../../src/events';

/** An expert of the floor: its tokens, as an async iterable; stops when `signal` aborts. */
export type FloorExpert = { readonly id: string; readonly stream: (signal: AbortSignal) => AsyncIterable<string> };

/** A running floor request: `done` settles after the terminal event; `cancel()` aborts it. */
export interface FloorRun { readonly done: Promise<void>; cancel(): void }

const runExpert = async (expert: FloorExpert, requestId: string, signal: AbortSignal, onEvent: (event: PipelineEvent) => void): Promise<string> => {
  const parts: string[] = [];
  for await (const text of expert.stream(signal)) {
    if (signal.aborted) break;
    parts.push(text);
    onEvent({ type: 'token', requestId, source: expert.id, text });
  }
  if (!signal.aborted) onEvent({ type: 'expert', requestId, expertId: expert.id, outcome: 'ok', ms: 0, tokens: parts.length });
  return parts.join('');
};

/** Starts one floor request. */
export const startFloor = (requestId: string, experts: readonly FloorExpert[], onEvent: (event: PipelineEvent) => void): FloorRun => {
  const controller = new AbortController();
  const run = async (): Promise<void> => {
    const { signal } = controller;
    onEvent({ type: 'start', requestId, at: 0 });
    const texts = await Promise.all(experts.map((expert) => runExpert(expert, requestId, signal, onEvent)));
    if (signal.aborted) onEvent({ type: 'cancelled', requestId, reason: 'cancelled' });
    else onEvent({ type: 'complete', requestId, text: texts[0] ?? '', fromCache: false, degraded: false });
  };
  return { done: run(), cancel: () => controller.abort() };
};
