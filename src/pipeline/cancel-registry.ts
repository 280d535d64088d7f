/**
 * The requests in flight and how to cancel each: a map from request id to its cancel entry, so
 * `cancel(id)` is one lookup whatever the number in flight (no shared Subject that every request
 * filters, which made N cancels cost N^2), and `cancelAll()` visits each request once.
 */
import { Observable } from 'rxjs';

/** Why a request was cancelled by the caller's AbortSignal: 'aborted', or 'aborted: <reason>' for an Error reason. */
export const abortReason = (signal: AbortSignal): string => {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name !== 'AbortError' ? `aborted: ${reason.message}` : 'aborted';
};

/** One request in flight. */
interface Entry {
  /** Set while the request's cancel$ is subscribed. */
  fire: ((reason: string) => void) | undefined;
  /** A cancel that came before cancel$ was subscribed. */
  pending: string | undefined;
}

/** A registered request: its cancel signal, and how to drop it from the registry. */
export interface Registration {
  /** Emits the cancel reason once (an order, or the caller's signal aborting), then completes. */
  readonly cancel$: Observable<string>;
  /** Drops the request from the registry (once; a later request with the same id is not touched). */
  readonly release: () => void;
}

/** The registry of one plugin. */
export class CancelRegistry {
  private readonly entries = new Map<string, Entry>();

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
    const entry: Entry = { fire: undefined, pending: undefined };
    this.entries.set(requestId, entry);
    const cancel$ = new Observable<string>((subscriber) => {
      const fire = (reason: string): void => {
        entry.fire = undefined;
        subscriber.next(reason);
        subscriber.complete();
      };
      if (entry.pending !== undefined) {
        fire(entry.pending);
        return undefined;
      }
      if (signal?.aborted === true) {
        fire(abortReason(signal));
        return undefined;
      }
      entry.fire = fire;
      if (signal === undefined) return () => { entry.fire = undefined; };
      const onAbort = (): void => fire(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      return () => {
        entry.fire = undefined;
        signal.removeEventListener('abort', onAbort);
      };
    });
    const release = (): void => {
      if (this.entries.get(requestId) === entry) this.entries.delete(requestId);
    };
    return { cancel$, release };
  }

  /** Cancels one request; true if it was in flight. */
  cancel(requestId: string, reason: string): boolean {
    const entry = this.entries.get(requestId);
    if (entry === undefined) return false;
    if (entry.fire === undefined) entry.pending ??= reason;
    else entry.fire(reason);
    return true;
  }

  /** Cancels every request in flight (not those started meanwhile); returns how many. */
  cancelAll(reason: string): number {
    const all = [...this.entries.values()];
    for (const entry of all) {
      if (entry.fire === undefined) entry.pending ??= reason;
      else entry.fire(reason);
    }
    return all.length;
  }

  /** Drops a request by id (at its terminal event). */
  release(requestId: string): void {
    this.entries.delete(requestId);
  }
}
