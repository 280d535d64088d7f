/**
 * The fused envelope: `finish` over `untilCancelled` over staged operators, run as ONE
 * subscription. Same behaviour as the three unfused (see until-cancelled.ts and finisher.ts):
 * `cancel$` is subscribed first; when it fires, the stages are torn down and only then
 * `cancelled` goes out, followed by `metrics` and nothing else. The stages deliver straight into
 * the finishing sink, which delivers to the caller's subscriber: the chain adds no subscriber
 * hop of its own on the token path.
 */
import { Observable, type SchedulerLike, type Subscriber, type TeardownLogic } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import type { CancelledEvent, PipelineEvent, TokenEvent } from '../events';
import { CancelSignal } from './cancel-signal';
import { Finisher, type FinishDeps } from './finisher';
import { runFused, type FusedStages, type StageRunner, type StageSink } from './staged';

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
export const fusedEnvelope = (envelope: Envelope, deps: FinishDeps, scheduler: SchedulerLike): Observable<PipelineEvent> =>
  new Observable<PipelineEvent>((subscriber) => new EnvelopeRun(envelope, new Finisher(subscriber, deps, scheduler, envelope.requestId), subscriber).start());

/**
 * One subscription of an envelope: the stages' sink (passing events to the finisher until a
 * cancel) and the cancel's observer. A class: a request holds it while it runs.
 */
class EnvelopeRun implements StageSink {
  private reason: string | undefined;
  private runner: StageRunner | undefined;

  constructor(private readonly envelope: Envelope, private readonly finisher: Finisher, private readonly subscriber: Subscriber<PipelineEvent>) {}

  start(): TeardownLogic {
    const { cancel$ } = this.envelope;
    this.subscriber.add(cancel$ instanceof CancelSignal ? cancel$.attach(this) : cancel$.subscribe(new CancelObserver(this)));
    if (this.reason !== undefined) {
      this.cancelled();
      return undefined;
    }
    this.runner = runFused(this.envelope.body, this);
    if (this.reason !== undefined && !this.finisher.ended) this.cancelled();
    return this.runner.subscription;
  }

  /** `cancel$` fired. A cancel from inside the stages' synchronous start waits until there is a runner to tear down. */
  cancel(reason: string): void {
    if (this.reason !== undefined || this.finisher.ended) return;
    this.reason = reason;
    if (this.runner !== undefined) this.cancelled();
  }

  next(event: ChainEvent): void {
    if (this.reason === undefined) this.finisher.next(event);
  }

  token(event: TokenEvent): void {
    if (this.reason === undefined) this.finisher.token(event);
  }

  error(error: unknown): void {
    if (this.reason === undefined) this.finisher.error(error);
  }

  complete(): void {
    if (this.reason === undefined) this.finisher.complete();
  }

  /** Tears the stages down, then `cancelled` (then `metrics`, from the finisher). */
  private cancelled(): void {
    this.runner?.subscription.unsubscribe();
    this.finisher.next({ type: 'cancelled', requestId: this.envelope.requestId, reason: this.reason } as CancelledEvent);
  }
}

/** Hands `cancel$`'s reason to the run. */
class CancelObserver {
  constructor(private readonly run: EnvelopeRun) {}
  next(reason: string): void {
    this.run.cancel(reason);
  }
}
