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
    const run = new GuardRun(rules, scheduler, next);
    return (event) => run.handle(event);
  });

/** One subscription's guard state. A class, not closures: its size is per-request memory. */
class GuardRun {
  /** One redactor per token source, allocated when the source's first token comes. */
  private windows: Map<string, TokenRedactor> | undefined;
  /** The last cached text guarded, so a cache hit's token and answer are guarded once. */
  private cachedIn: string | undefined;
  private cachedOut = '';

  constructor(private readonly rules: OutputGuard, private readonly scheduler: SchedulerLike, private readonly next: (event: ChainEvent) => void) {}

  handle(event: ChainEvent): void {
    const { next } = this;
    switch (event.type) {
      case 'token': {
        if (event.source === 'cache') {
          const text = this.whole(event.text);
          next(text === event.text ? event : { type: 'token', requestId: event.requestId, source: 'cache', text });
          return;
        }
        this.windows ??= new Map();
        let window = this.windows.get(event.source);
        if (window === undefined) {
          window = this.rules.open();
          this.windows.set(event.source, window);
        }
        const text = window.push(event.text);
        if (text === event.text) next(event);
        else if (text.length > 0) next({ type: 'token', requestId: event.requestId, source: event.source, text });
        return;
      }
      case 'expert': {
        const window = this.windows?.get(event.expertId);
        if (window !== undefined) this.flush(event.requestId, event.expertId, window);
        next(event);
        return;
      }
      case 'retry':
        if (event.discard) this.windows?.delete(event.source);
        next(event);
        return;
      case 'answer':
        this.finalPass(event);
        return;
      default:
        next(event);
    }
  }

  private whole(text: string): string {
    if (text !== this.cachedIn) {
      this.cachedOut = this.rules.apply(text);
      this.cachedIn = text;
    }
    return this.cachedOut;
  }

  private flush(requestId: string, source: string, window: TokenRedactor): void {
    this.windows?.delete(source);
    const rest = window.flush();
    if (rest.length > 0) this.next({ type: 'token', requestId, source, text: rest });
  }

  private finalPass(event: AnswerEvent): void {
    const { scheduler } = this;
    const at = scheduler.now();
    if (this.windows !== undefined) for (const [source, window] of this.windows) this.flush(event.requestId, source, window);
    const text = event.fromCache ? this.whole(event.text) : this.rules.apply(event.text);
    this.next({ type: 'timing', requestId: event.requestId, stage: 'outputGuard', at, ms: scheduler.now() - at });
    this.next({ ...event, type: 'guarded', text });
  }
}
