/**
 * `guard(deps, scheduler)`: sanitizes output BEFORE it leaves the library. Every `token` goes
 * through a per-source redactor that holds back a possible partial match (a secret split across
 * tokens is still caught); an `expert` event flushes that source's window first; a `retry` with
 * `discard` drops the window of the abandoned attempt; the `answer` hand-off flushes every
 * window, applies the same rules to the final text and emits the outputGuard `timing` and the
 * `guarded` hand-off. A cached answer (one `cache` token) is guarded as a whole, its guarded text
 * remembered for the next hits (the last `GUARDED_TEXTS` cached answers). Other events
 * pass through; a token that needs no change is passed on as the same object.
 *
 *     source:  -a-b-e-(n|)      a = 'mail me at x@', b = 'y.io', e = expert end, n = answer
 *     result:  -a'--(be)(tg|)   the address is held back until it is known, then redacted
 */
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { AnswerEvent, ChainEvent } from '../chain-events';
import type { OutputGuard, TokenRedactor } from '../ports';
import { noGuard } from '../strategies/output-guard';
import { staged, type StageContext } from './staged';

/** What the guard needs. */
export interface GuardDeps { readonly guard: OutputGuard }

/** Guards streamed tokens and the final text. */
export const guard = ({ guard: rules }: GuardDeps, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> => {
  const cached = new GuardedTexts(rules);
  // With noGuard there is nothing to do per token: tokens skip the stage.
  return staged((context) => {
    const run = new GuardRun(rules, cached, scheduler, context);
    return (event) => run.handle(event);
  }, { ignoresTokens: rules === noGuard });
};

/** How many cached answers' guarded texts the guard remembers (per operator). */
export const GUARDED_TEXTS = 32;

/**
 * The guarded texts of the cached answers seen last, so a popular cached answer is not
 * re-scanned on every hit (the rules are the operator's own and `apply` is pure). At most
 * `GUARDED_TEXTS` entries, the least recently used dropped first.
 */
class GuardedTexts {
  private readonly texts = new Map<string, string>();
  constructor(private readonly rules: OutputGuard) {}

  apply(text: string): string {
    let guarded = this.texts.get(text);
    if (guarded === undefined) {
      guarded = this.rules.apply(text);
      if (this.texts.size >= GUARDED_TEXTS) this.texts.delete(this.texts.keys().next().value!);
    } else {
      this.texts.delete(text); // re-inserted below: most recently used last
    }
    this.texts.set(text, guarded);
    return guarded;
  }
}

/** One subscription's guard state. A class, not closures: its size is per-request memory. */
class GuardRun {
  /** One redactor per token source, allocated when the source's first token comes. */
  private windows: Map<string, TokenRedactor> | undefined;

  constructor(
    private readonly rules: OutputGuard,
    private readonly cached: GuardedTexts,
    private readonly scheduler: SchedulerLike,
    /** Where the guarded events go: tokens on its `token` road, the rest to `next`. */
    private readonly stage: StageContext,
  ) {}

  handle(event: ChainEvent): void {
    const { next, token } = this.stage;
    switch (event.type) {
      case 'token': {
        if (event.source === 'cache') {
          const text = this.cached.apply(event.text);
          token(text === event.text ? event : { type: 'token', requestId: event.requestId, source: 'cache', text });
          return;
        }
        this.windows ??= new Map();
        let window = this.windows.get(event.source);
        if (window === undefined) {
          window = this.rules.open();
          this.windows.set(event.source, window);
        }
        const text = window.push(event.text);
        if (text === event.text) token(event);
        else if (text.length > 0) token({ type: 'token', requestId: event.requestId, source: event.source, text });
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

  private flush(requestId: string, source: string, window: TokenRedactor): void {
    this.windows?.delete(source);
    const rest = window.flush();
    if (rest.length > 0) this.stage.token({ type: 'token', requestId, source, text: rest });
  }

  private finalPass(event: AnswerEvent): void {
    const { scheduler } = this;
    const at = scheduler.now();
    if (this.windows !== undefined) for (const [source, window] of this.windows) this.flush(event.requestId, source, window);
    const text = event.fromCache ? this.cached.apply(event.text) : this.rules.apply(event.text);
    const { next } = this.stage;
    next({ type: 'timing', requestId: event.requestId, stage: 'outputGuard', at, ms: scheduler.now() - at });
    next({ ...event, type: 'guarded', text });
  }
}
