/**
 * `guard(deps, scheduler)`: sanitizes output BEFORE it leaves the library. Every `token` goes
 * through a per-source redactor that holds back a possible partial match (a secret split across
 * tokens is still caught); an `expert` event flushes that source's window first; a `retry` with
 * `discard` drops the window of the abandoned attempt; the `answer` hand-off flushes every
 * window, applies the same rules to the final text and emits the outputGuard `timing` and the
 * `guarded` hand-off. A cached answer (one `cache` token) is guarded as a whole. Other events
 * pass through; a token that needs no change is passed on as the same object.
 *
 *     source:  -a-b-e-(n|)      a = 'mail me at x@', b = 'y.io', e = expert end, n = answer
 *     result:  -a'--(be)(tg|)   the address is held back until it is known, then redacted
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { AnswerEvent, ChainEvent } from '../chain-events';
import type { OutputGuard, TokenRedactor } from '../ports';
import { staged } from './staged';

/** What the guard needs. */
export interface GuardDeps { readonly guard: OutputGuard }

/** Guards streamed tokens and the final text. */
export const guard = ({ guard: rules }: GuardDeps, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> =>
  staged(({ next }) => {
    // One redactor per token source, allocated when the source's first token comes.
    let windows: Map<string, TokenRedactor> | undefined;
    // The last cached text guarded, so a cache hit's token and answer are guarded once.
    let cachedIn: string | undefined;
    let cachedOut = '';
    const whole = (text: string): string => {
      if (text !== cachedIn) {
        cachedOut = rules.apply(text);
        cachedIn = text;
      }
      return cachedOut;
    };
    const flush = (requestId: string, source: string, window: TokenRedactor): void => {
      windows?.delete(source);
      const rest = window.flush();
      if (rest.length > 0) next({ type: 'token', requestId, source, text: rest });
    };
    const finalPass = (event: AnswerEvent): void => {
      const at = scheduler.now();
      if (windows !== undefined) for (const [source, window] of windows) flush(event.requestId, source, window);
      const text = event.fromCache ? whole(event.text) : rules.apply(event.text);
      next({ type: 'timing', requestId: event.requestId, stage: 'outputGuard', at, ms: scheduler.now() - at });
      next({ ...event, type: 'guarded', text });
    };
    return (event) => {
      switch (event.type) {
        case 'token': {
          if (event.source === 'cache') {
            const text = whole(event.text);
            next(text === event.text ? event : { type: 'token', requestId: event.requestId, source: 'cache', text });
            return;
          }
          windows ??= new Map();
          let window = windows.get(event.source);
          if (window === undefined) {
            window = rules.open();
            windows.set(event.source, window);
          }
          const text = window.push(event.text);
          if (text === event.text) next(event);
          else if (text.length > 0) next({ type: 'token', requestId: event.requestId, source: event.source, text });
          return;
        }
        case 'expert': {
          const window = windows?.get(event.expertId);
          if (window !== undefined) flush(event.requestId, event.expertId, window);
          next(event);
          return;
        }
        case 'retry':
          if (event.discard) windows?.delete(event.source);
          next(event);
          return;
        case 'answer':
          finalPass(event);
          return;
        default:
          next(event);
      }
    };
  });
