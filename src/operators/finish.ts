/**
 * `finish(deps, scheduler)`: the end of every request's chain; turns the chain's events into the
 * public ones (see finisher.ts). Folds the metrics facts (`timing`, `experts-started`) into the
 * `metrics` event and drops them; on the first terminal event it calls `onEnd` (so the request
 * no longer counts as in flight), emits `metrics` then the terminal event, and completes, which
 * tears down everything upstream. Guarantees the contract's invariant: exactly one terminal
 * event, always last, and the Observable never errors. An upstream error, a hand-off reaching
 * the end, or an end without a terminal event becomes an `error` event (kind `system`)
 * reported to `reportSystemError`.
 *
 * Applied to `untilCancelled` over staged operators, it fuses with them (envelope.ts): the
 * whole request then runs in one subscription, and a token reaches the caller with no hop of
 * the chain's own between the experts and the caller.
 *
 *     source:  -s-t-t-c-     (c = complete)
 *     result:  -s-t-t-(mc|)  (m = metrics)
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import type { PipelineEvent } from '../events';
import { envelopeOf, fusedEnvelope } from './envelope';
import { Finisher, type FinishDeps } from './finisher';

export type { FinishDeps } from './finisher';

/** Ends the request's stream with metrics and its one terminal event. */
export const finish = (deps: FinishDeps = {}, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, PipelineEvent> =>
  (source) => {
    const envelope = envelopeOf(source);
    if (envelope !== undefined) return fusedEnvelope(envelope, deps, scheduler);
    return new Observable<PipelineEvent>((subscriber) => {
      const finisher = new Finisher(subscriber, deps, scheduler);
      // After the terminal, a synchronous source still calls us until `subscribe` returns: the finisher ignores it.
      return source.subscribe({ next: (event) => finisher.next(event), error: (error: unknown) => finisher.error(error), complete: () => finisher.complete() });
    });
  };
