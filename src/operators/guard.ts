/**
 * `guard(deps)`: sanitizes output BEFORE it leaves the library. Every `token` goes through a
 * per-source redactor that holds back a possible partial match (a secret split across tokens
 * is still caught); an `expert` event flushes that source's window first; a `retry` with
 * `discard` drops the window of the abandoned attempt; the `answer` hand-off flushes every
 * window, applies the same rules to the final text and emits the `guarded` hand-off.
 * Other events pass through.
 *
 * `new Observable` because it sits on the per-token path: one switch and one `next` per token,
 * and a token that needs no change is passed on as the same object.
 *
 *     source:  -a-b-e-(n|)      a = 'mail me at x@', b = 'y.io', e = expert end, n = answer
 *     result:  -a'--(be)(g|)    the address is held back until it is known, then redacted
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { TokenEvent } from '../events';
import type { PipelineDeps } from '../pipeline/deps';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import type { TokenRedactor } from '../ports';

/** What the guard needs. */
export type GuardDeps = Pick<PipelineDeps, 'guard' | 'clock'>;

/** Guards streamed tokens and the final text. */
export const guard = ({ guard: rules, clock }: GuardDeps): OperatorFunction<StageEvent, StageEvent> =>
  (source) => new Observable<StageEvent>((subscriber) => {
    const windows = new Map<string, TokenRedactor>();
    const flush = (requestId: string, from: string, window: TokenRedactor): void => {
      windows.delete(from);
      const rest = window.flush();
      if (rest.length > 0) subscriber.next({ type: 'token', requestId, source: from, text: rest } satisfies TokenEvent);
    };
    /** What the guard does with one event; a throwing guard becomes an error (and so a `system` error event). */
    const onEvent = (event: StageEvent): void => {
      switch (event.type) {
        case 'token': {
          if (event.source === 'cache') {
            // A cached answer is one whole token: no window needed, and it must stay one token.
            const whole = rules.apply(event.text);
            subscriber.next(whole === event.text ? event : { type: 'token', requestId: event.requestId, source: 'cache', text: whole });
            return;
          }
          let window = windows.get(event.source);
          if (window === undefined) {
            window = rules.open();
            windows.set(event.source, window);
          }
          const text = window.push(event.text);
          if (text === event.text) subscriber.next(event);
          else if (text.length > 0) subscriber.next({ type: 'token', requestId: event.requestId, source: event.source, text });
          return;
        }
        case 'expert': {
          const window = windows.get(event.expertId);
          if (window !== undefined) flush(event.requestId, event.expertId, window);
          subscriber.next(event);
          return;
        }
        case 'retry':
          if (event.discard) windows.delete(event.source);
          subscriber.next(event);
          return;
        case 'answer': {
          const { job } = event;
          const startedAt = clock.now();
          for (const [from, window] of windows) flush(event.requestId, from, window);
          if (job.result !== undefined) job.result = { ...job.result, text: rules.apply(job.result.text) };
          job.metrics.stage('outputGuard', clock.now() - startedAt);
          subscriber.next(handoff('guarded', job));
          return;
        }
        default:
          subscriber.next(event);
      }
    };
    return source.subscribe({
      next: (event) => {
        try {
          onEvent(event);
        } catch (error) {
          subscriber.error(error);
        }
      },
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  });
