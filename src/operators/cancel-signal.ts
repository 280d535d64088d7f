/**
 * `CancelSignal`: one request's cancel signal, an Observable that emits the reason once (a
 * cancel order, or the caller's AbortSignal aborting) and completes. A listener can also attach
 * to it directly, without a subscriber: the fused envelope does, since a request holds its
 * signal while it runs (per-request memory).
 */
import { Observable, type Subscriber, type TeardownLogic, type Unsubscribable } from 'rxjs';

/** Why a request was cancelled by the caller's AbortSignal: 'aborted', or 'aborted: <reason>' for an Error reason. */
export const abortReason = (signal: AbortSignal): string => {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name !== 'AbortError' ? `aborted: ${reason.message}` : 'aborted';
};

/** Told when the request of a cancel signal ends. */
export interface SignalEnd { ended(signal: CancelSignal): void }

/** What a cancel signal tells when it fires. */
export interface CancelListener { cancel(reason: string): void }

/**
 * One request's cancel signal: emits the reason once (a cancel order, or the caller's
 * AbortSignal aborting), then completes. One listener at a time.
 */
export class CancelSignal extends Observable<string> implements Unsubscribable {
  private listener: CancelListener | undefined;
  private pending: string | undefined;
  private fired = false;
  private onAbort: (() => void) | undefined;

  /** `onEnd`: told once when the request ends (`unsubscribe()`), e.g. to drop it from a registry. */
  constructor(private readonly signal: AbortSignal | undefined, private onEnd?: SignalEnd) {
    super(subscribeToCancel);
  }

  /** Listens (at once when already cancelled); `unsubscribe()` of the result stops listening. */
  attach(listener: CancelListener): Unsubscribable {
    if (this.pending !== undefined) {
      listener.cancel(this.pending);
      return this;
    }
    if (this.signal?.aborted === true) {
      this.fire(abortReason(this.signal), listener);
      return this;
    }
    this.listener = listener;
    if (this.signal !== undefined) {
      const signal = this.signal;
      this.onAbort = () => this.fire(abortReason(signal));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
    return this;
  }

  /** Cancels with `reason` (kept for a listener that attaches later). */
  fire(reason: string, listener: CancelListener | undefined = this.listener): void {
    if (this.fired) return;
    this.fired = true;
    this.stopListening();
    if (listener === undefined) this.pending = reason;
    else listener.cancel(reason);
  }

  /** The request ended: stops listening, and tells `onEnd` (once). */
  unsubscribe(): void {
    this.stopListening();
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.ended(this);
  }

  private stopListening(): void {
    this.listener = undefined;
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.onAbort = undefined;
  }

}

/** A CancelSignal's subscribe function (shared: RxJS calls it with the Observable as `this`). */
function subscribeToCancel(this: Observable<string>, subscriber: Subscriber<string>): TeardownLogic {
  return (this as CancelSignal).attach({ cancel: (reason) => { subscriber.next(reason); subscriber.complete(); } });
}
