/**
 * Token sources shared by the floor and the pipeline in the floor comparisons, so both pay
 * the same for the tokens' arrival: an async generator per expert call. The pipeline gets it
 * through `asyncTokensExpert`, an Observable over the same generator (as a provider adapter
 * over a fetch stream would be).
 */
import { Observable } from 'rxjs';
import type { Expert } from '../../src/ports';
import type { FloorExpert } from './request';

/** Anything with an `aborted` flag: an AbortSignal, or a plain object. */
export interface StopFlag { readonly aborted: boolean }

/** Yields `tokens` one by one, with no delay (each one a turn of the async iteration), until `stop` is aborted. */
export async function* tokensOf(tokens: readonly string[], stop?: StopFlag): AsyncGenerator<string> {
  for (let i = 0; i < tokens.length; i++) {
    if (stop?.aborted === true) return;
    yield tokens[i]!;
  }
}

/** Never yields, until `signal` aborts (a stalled provider). */
export async function* stalled(signal: AbortSignal): AsyncGenerator<string> {
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** A floor expert streaming `tokens`. */
export const floorExpert = (id: string, tokens: readonly string[]): FloorExpert => ({ id, stream: (signal) => tokensOf(tokens, signal) });

/** A pipeline expert over the same generator: one `next` per yielded token; unsubscribing stops the loop at once. */
export const asyncTokensExpert = (id: string, tokens: readonly string[]): Expert => ({
  id,
  model: 'bench',
  version: '1',
  stream: () => new Observable<string>((subscriber) => {
    const stop = { aborted: false };
    void (async () => {
      try {
        for await (const token of tokensOf(tokens, stop)) {
          if (subscriber.closed) return;
          subscriber.next(token);
        }
        subscriber.complete();
      } catch (error) {
        subscriber.error(error);
      }
    })();
    return () => {
      stop.aborted = true;
    };
  }),
});
