/** Where cancellation comes from: the caller's AbortSignal and the plugin's cancel bus. */
import { Observable, Subject, filter, map, merge, type Observable as Obs } from 'rxjs';

/** Emits a reason once when `signal` aborts (at once if it already has); removes its listener on unsubscribe. */
export const abortSignal$ = (signal: AbortSignal): Obs<string> => new Observable<string>((subscriber) => {
  const reasonOf = (): string => {
    const reason: unknown = signal.reason;
    return reason instanceof Error && reason.name !== 'AbortError' ? `aborted: ${reason.message}` : 'aborted';
  };
  if (signal.aborted) {
    subscriber.next(reasonOf());
    subscriber.complete();
    return undefined;
  }
  const onAbort = (): void => {
    subscriber.next(reasonOf());
    subscriber.complete();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
});

/** A cancel order: one request, or every request when `requestId` is undefined. */
export interface CancelOrder { readonly requestId?: string; readonly reason: string }

/** The plugin-wide cancel bus: `cancel(id)` and `cancelAll()` publish here; each request listens for its own id. */
export class CancelBus {
  private readonly orders = new Subject<CancelOrder>();

  /** Publishes a cancel order. */
  publish(order: CancelOrder): void {
    this.orders.next(order);
  }

  /** The reasons that cancel `requestId`, merged with its caller's signal when there is one. */
  cancelsOf(requestId: string, signal?: AbortSignal): Obs<string> {
    const orders$ = this.orders.pipe(
      filter((order) => order.requestId === undefined || order.requestId === requestId),
      map((order) => order.reason),
    );
    return signal === undefined ? orders$ : merge(orders$, abortSignal$(signal));
  }
}
