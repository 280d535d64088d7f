/**
 * The requests in flight and how to cancel each: a map from request id to its cancel entry, so
 * `cancel(id)` is one lookup whatever the number in flight (no shared Subject that every request
 * filters, which made N cancels cost N^2), and `cancelAll()` visits each request once.
 *
 * Each request's cancel signal is a small Observable of its own (`CancelSignal`); the fused
 * envelope attaches to it directly, without a subscriber.
 */
import { CancelSignal, type SignalEnd } from '../operators/cancel-signal';

export { abortReason, CancelSignal, type CancelListener } from '../operators/cancel-signal';

/** A registered request: its cancel signal, and how to drop it from the registry. */
export interface Registration {
  /** Emits the cancel reason once (an order, or the caller's signal aborting), then completes. */
  readonly cancel$: CancelSignal;
  /** Drops the request from the registry (once; a later request with the same id is not touched). */
  readonly release: () => void;
}

/** The registry of one plugin. */
export class CancelRegistry {
  private readonly entries = new Map<string, CancelSignal>();

  /** Requests in flight. */
  get size(): number {
    return this.entries.size;
  }

  /** True while `requestId` is in flight. */
  has(requestId: string): boolean {
    return this.entries.has(requestId);
  }

  /** The ids in flight, oldest first. */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Registers a request (the caller checked that its id is free). */
  register(requestId: string, signal?: AbortSignal): Registration {
    const cancel$ = new CancelSignal(signal);
    this.entries.set(requestId, cancel$);
    const release = (): void => {
      if (this.entries.get(requestId) === cancel$) this.entries.delete(requestId);
    };
    return { cancel$, release };
  }

  /**
   * Registers a request and returns its signal alone: unsubscribing the signal (the request
   * ended) drops it from the registry. No closure per request, unlike `register`.
   */
  enter(requestId: string, signal?: AbortSignal): CancelSignal {
    const cancel$ = new CancelSignal(signal, new RegistryEntry(this.entries, requestId));
    this.entries.set(requestId, cancel$);
    return cancel$;
  }

  /** Cancels one request; true if it was in flight. */
  cancel(requestId: string, reason: string): boolean {
    const entry = this.entries.get(requestId);
    if (entry === undefined) return false;
    entry.fire(reason);
    return true;
  }

  /** Cancels every request in flight (not those started meanwhile); returns how many. */
  cancelAll(reason: string): number {
    const all = [...this.entries.values()];
    for (const entry of all) entry.fire(reason);
    return all.length;
  }

  /** Drops a request by id (at its terminal event). */
  release(requestId: string): void {
    this.entries.delete(requestId);
  }
}

/** Drops its request from the registry when its signal ends (unless a later request took the id). */
class RegistryEntry implements SignalEnd {
  constructor(private readonly entries: Map<string, CancelSignal>, private readonly requestId: string) {}
  ended(signal: CancelSignal): void {
    if (this.entries.get(this.requestId) === signal) this.entries.delete(this.requestId);
  }
}
