/**
 * The fused envelope: `finish` over `untilCancelled` over staged operators, run as ONE
 * subscription. Same behaviour as the three unfused (see until-cancelled.ts and finisher.ts):
 * `cancel$` is subscribed first; when it fires, the stages are torn down and only then
 * `cancelled` goes out, followed by `metrics` and nothing else. The stages deliver straight into
 * the finishing sink, which delivers to the caller's subscriber: the chain adds no subscriber
 * hop of its own on the token path.
 */
import { Observable, type SchedulerLike } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import type { CancelledEvent, PipelineEvent } from '../events';
import { Finisher, type FinishDeps } from './finisher';
import { runFused, type FusedStages, type StageRunner } from './staged';

/** A cancellable body of fused stages, as `untilCancelled` marks it for `finish`. */
export interface Envelope { readonly body: FusedStages; readonly cancel$: Observable<string>; readonly requestId: string }

/** What `untilCancelled` returns over staged operators: its own behaviour, plus what `finish` needs to fuse. */
class EnvelopeObservable<T> extends Observable<T> {
  constructor(readonly envelope: Envelope, behaviour: Observable<T>) {
    super((subscriber) => behaviour.subscribe(subscriber));
  }
}

/** `observable` (untilCancelled's result), marked as the envelope of fused stages. */
export const markEnvelope = <T>(observable: Observable<T>, envelope: Envelope): Observable<T> => new EnvelopeObservable(envelope, observable);

/** The envelope `observable` was marked with, if any. */
export const envelopeOf = (observable: Observable<ChainEvent>): Envelope | undefined =>
  (observable instanceof EnvelopeObservable ? (observable.envelope as Envelope) : undefined);

/** Runs an envelope with the finishing sink: one subscription for the whole request. */
export const fusedEnvelope = ({ body, cancel$, requestId }: Envelope, deps: FinishDeps, scheduler: SchedulerLike): Observable<PipelineEvent> =>
  new Observable<PipelineEvent>((subscriber) => {
    const finisher = new Finisher(subscriber, deps, scheduler, requestId);
    let reason: string | undefined;
    let runner: StageRunner | undefined;
    const cancelled = (): void => {
      runner?.subscription.unsubscribe();
      finisher.next({ type: 'cancelled', requestId, reason } as CancelledEvent);
    };
    subscriber.add(cancel$.subscribe((given) => {
      if (reason !== undefined || finisher.ended) return;
      reason = given;
      // A cancel from inside the stages' synchronous start waits until there is a runner to tear down.
      if (runner !== undefined) cancelled();
    }));
    if (reason !== undefined) {
      cancelled();
      return undefined;
    }
    runner = runFused(body, {
      next: (event) => {
        if (reason === undefined) finisher.next(event);
      },
      error: (error) => {
        if (reason === undefined) finisher.error(error);
      },
      complete: () => {
        if (reason === undefined) finisher.complete();
      },
    });
    if (reason !== undefined && !finisher.ended) cancelled();
    return runner.subscription;
  });
