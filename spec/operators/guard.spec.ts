import { tap } from 'rxjs';
import type { AnswerEvent, ChainEvent, GuardedEvent, TimingEvent } from '../../src/chain-events';
import type { ExpertEvent, RetryEvent, TokenEvent } from '../../src/events';
import { guard, GUARDED_TEXTS } from '../../src/operators/guard';
import type { OutputGuard, TokenRedactor } from '../../src/ports';
import { defaultGuard } from '../../src/strategies/output-guard';
import { expectPassThrough } from '../support/every-kind';
import { manualClock } from '../support/manual-clock';
import { newScheduler } from '../support/virtual-time';

const SECRET = 'secret';

/**
 * A tiny guard: redacts 'secret' as '[X]', holding back any tail that could still grow into it.
 * `apply` advances the clock by 7 ms, so the outputGuard timing is exact; `applied` counts its calls.
 */
const secretGuard = () => {
  const clock = manualClock(100);
  const redact = (text: string): string => text.split(SECRET).join('[X]');
  const applied = jest.fn((text: string) => {
    clock.advance(7);
    return redact(text);
  });
  const fake: OutputGuard = {
    id: 'secret', version: '1',
    open: (): TokenRedactor => {
      let held = '';
      return {
        push: (text) => {
          const all = redact(held + text);
          let keep = Math.min(SECRET.length - 1, all.length);
          while (keep > 0 && !SECRET.startsWith(all.slice(all.length - keep))) keep--;
          held = all.slice(all.length - keep);
          return all.slice(0, all.length - keep);
        },
        flush: () => {
          const rest = held;
          held = '';
          return rest;
        },
      };
    },
    apply: applied,
  };
  return { operator: guard({ guard: fake }, clock.scheduler), applied };
};

const token = (source: string, text: string): TokenEvent => ({ type: 'token', requestId: 'r1', source, text });
const ended = (expertId: string): ExpertEvent => ({ type: 'expert', requestId: 'r1', expertId, outcome: 'ok', ms: 5, tokens: 2 });
const retry = (source: string, discard: boolean): RetryEvent =>
  ({ type: 'retry', requestId: 'r1', source, attempt: 1, maxRetries: 2, delayMs: 10, reason: 'HTTP 503', discard });
const answer = (text: string, fromCache = false): AnswerEvent =>
  ({ type: 'answer', requestId: 'r1', text, fromCache, degraded: false, cacheKey: 'k', planId: 'plan-1' });
const guarded = (text: string, fromCache = false): GuardedEvent => ({ ...answer(text, fromCache), type: 'guarded' });
const timing = (at: number, ms: number): TimingEvent => ({ type: 'timing', requestId: 'r1', stage: 'outputGuard', at, ms });

/** The text each source's emitted tokens add up to. */
const textBySource = (events: readonly ChainEvent[]): Record<string, string> => {
  const texts: Record<string, string> = {};
  for (const event of events) if (event.type === 'token') texts[event.source] = (texts[event.source] ?? '') + event.text;
  return texts;
};

describe('guard', () => {
  it('passes a token with nothing to redact on as the same object', () => {
    const { operator } = secretGuard();
    const hello = token('A', 'hello ');
    const seen: ChainEvent[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const events = cold(' -a|', { a: hello });
      expectObservable(events.pipe(operator, tap((e) => seen.push(e)))).toBe('-a|', { a: hello });
      expectSubscriptions(events.subscriptions).toBe('^-!');
    });
    expect(seen[0]).toBe(hello);
  });

  it('redacts a secret split across two tokens of one source, never emitting it', () => {
    const { operator } = secretGuard();
    const seen: ChainEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-b-e|', { a: token('A', 'my sec'), b: token('A', 'ret is out'), e: ended('A') });
      const expected = '    -A-B-e|';
      expectObservable(events.pipe(operator, tap((e) => seen.push(e))))
        .toBe(expected, { A: token('A', 'my '), B: token('A', '[X] is out'), e: ended('A') });
    });
    expect(textBySource(seen)).toEqual({ A: 'my [X] is out' });
  });

  it('emits nothing for a token held back whole', () => {
    const { operator } = secretGuard();
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-b-|', { a: token('A', 'sec'), b: token('A', 'ond') });
      expectObservable(events.pipe(operator)).toBe('---b-|', { b: token('A', 'second') });
    });
  });

  it('flushes a source\'s held-back text on its expert event, before the expert event', () => {
    const { operator } = secretGuard();
    const done = ended('A');
    const seen: ChainEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a--e---|', { a: token('A', 'say s'), e: done });
      const expected = '    -A--(fe)|';
      expectObservable(events.pipe(operator, tap((e) => seen.push(e)))).toBe(expected, { A: token('A', 'say '), f: token('A', 's'), e: done });
    });
    expect(seen[seen.length - 1]).toBe(done);
  });

  it('drops the held-back text of an attempt abandoned by a retry with discard', () => {
    const { operator } = secretGuard();
    const again = token('A', 'ret!');
    const seen: ChainEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-r-b-e|', { a: token('A', 'abc sec'), r: retry('A', true), b: again, e: ended('A') });
      const expected = '    -A-r-b-e|';
      expectObservable(events.pipe(operator, tap((e) => seen.push(e))))
        .toBe(expected, { A: token('A', 'abc '), r: retry('A', true), b: again, e: ended('A') });
    });
    expect(seen[2]).toBe(again);
    expect(textBySource(seen)).toEqual({ A: 'abc ret!' });
  });

  it('keeps the held-back text across a retry without discard (nothing was shown of the failed attempt)', () => {
    const { operator } = secretGuard();
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-r-b-|', { a: token('A', 'abc sec'), r: retry('A', false), b: token('A', 'ret!') });
      expectObservable(events.pipe(operator)).toBe('-A-r-B-|', { A: token('A', 'abc '), r: retry('A', false), B: token('A', '[X]!') });
    });
  });

  it('keeps sources independent: one source\'s held-back tail is not joined with another\'s text', () => {
    const { operator } = secretGuard();
    const ret = token('B', 'ret');
    const seen: ChainEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-b-e----f|', { a: token('A', 'my sec'), b: ret, e: ended('A'), f: ended('B') });
      const expected = '    -A-b-(se)-f|';
      expectObservable(events.pipe(operator, tap((x) => seen.push(x))))
        .toBe(expected, { A: token('A', 'my '), b: ret, s: token('A', 'sec'), e: ended('A'), f: ended('B') });
    });
    expect(seen[1]).toBe(ret);
    expect(textBySource(seen)).toEqual({ A: 'my sec', B: 'ret' });
  });

  it('on answer: flushes every source, guards the final text, emits the outputGuard timing and the guarded hand-off', () => {
    const { operator, applied } = secretGuard();
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-b-n------|', { a: token('fusion', 'Fused sec'), b: token('B', 'tell s'), n: answer('Fused secret and more secrets') });
      const expected = '    -A-B-(fsTg)-|';
      expectObservable(events.pipe(operator)).toBe(expected, {
        A: token('fusion', 'Fused '), B: token('B', 'tell '), f: token('fusion', 'sec'), s: token('B', 's'),
        T: timing(100, 7), g: guarded('Fused [X] and more [X]s'),
      });
    });
    expect(applied).toHaveBeenCalledTimes(1);
  });

  it('hands the answer\'s other fields on unchanged in the guarded hand-off', () => {
    const { operator } = secretGuard();
    const degraded: AnswerEvent = { type: 'answer', requestId: 'r1', text: 'plain', fromCache: false, degraded: true, planId: 'p9' };
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('(n|)', { n: degraded }).pipe(operator)).toBe('(Tg|)', {
        T: timing(100, 7), g: { type: 'guarded', requestId: 'r1', text: 'plain', fromCache: false, degraded: true, planId: 'p9' },
      });
    });
  });

  it('guards a cached answer as a whole, once: its one cache token and the answer get the same text', () => {
    const { operator, applied } = secretGuard();
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -(tn|)', { t: token('cache', 'my secret'), n: answer('my secret', true) });
      expectObservable(events.pipe(operator)).toBe('-(tTg|)', {
        t: token('cache', 'my [X]'), T: timing(107, 0), g: guarded('my [X]', true),
      });
    });
    expect(applied).toHaveBeenCalledTimes(1);
  });

  it('remembers the guarded text of the last cached answers across requests, at most GUARDED_TEXTS of them', () => {
    const { operator, applied } = secretGuard();
    const hit = (text: string): ChainEvent[] => {
      const seen: ChainEvent[] = [];
      newScheduler().run(({ cold, flush }) => {
        cold('(tn|)', { t: token('cache', text), n: answer(text, true) }).pipe(operator).subscribe((e) => seen.push(e));
        flush();
      });
      return seen;
    };
    expect(textBySource(hit('a secret'))).toEqual({ cache: 'a [X]' });
    expect(textBySource(hit('a secret'))).toEqual({ cache: 'a [X]' });
    expect(applied).toHaveBeenCalledTimes(1); // the second request's hit was not scanned again
    for (let i = 0; i < GUARDED_TEXTS; i++) hit(`secret ${i}`);
    expect(applied).toHaveBeenCalledTimes(1 + GUARDED_TEXTS);
    expect(textBySource(hit('a secret'))).toEqual({ cache: 'a [X]' }); // the oldest was dropped: scanned again
    expect(applied).toHaveBeenCalledTimes(2 + GUARDED_TEXTS);
  });

  it('passes a cache token that needs no change on as the same object', () => {
    const { operator } = secretGuard();
    const cached = token('cache', 'all fine');
    const seen: ChainEvent[] = [];
    newScheduler().run(({ cold, flush }) => {
      cold('t|', { t: cached }).pipe(operator).subscribe((e) => seen.push(e));
      flush();
    });
    expect(seen[0]).toBe(cached);
  });

  it('passes every other kind through as the same object', () => {
    expectPassThrough(secretGuard().operator, 'a');
  });

  it('unsubscribes its source at the frame the subscriber leaves', () => {
    const { operator } = secretGuard();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const events = cold(' -a-b-c|', { a: token('A', 'x'), b: token('A', 'y'), c: token('A', 'z') });
      const unsub = '       ^--!';
      expectObservable(events.pipe(operator), unsub).toBe('-a-', { a: token('A', 'x') });
      expectSubscriptions(events.subscriptions).toBe('^--!');
    });
  });

  it('passes a source error on', () => {
    const { operator } = secretGuard();
    const boom = new Error('boom');
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', { a: token('A', 'x') }, boom).pipe(operator)).toBe('-a-#', { a: token('A', 'x') }, boom);
    });
  });

  describe('with the default guard', () => {
    it('redacts an e-mail address split across tokens, in the stream and in the final text', () => {
      const seen: ChainEvent[] = [];
      newScheduler().run(({ cold, expectObservable }) => {
        const events = cold(' -a-b-c-d-e---n---|', {
          a: token('A', 'mail me at jo'), b: token('A', 'e@exam'), c: token('A', 'ple.com'), d: token('A', ' now'), e: ended('A'),
          n: answer('mail me at joe@example.com now'),
        });
        const expected = '    -A-----D-(fe)(Tg)|';
        expectObservable(events.pipe(guard({ guard: defaultGuard() }), tap((x) => seen.push(x)))).toBe(expected, {
          A: token('A', 'mail me at '), D: token('A', '[REDACTED:email] '), f: token('A', 'now'), e: ended('A'),
          T: timing(13, 0), g: guarded('mail me at [REDACTED:email] now'),
        });
      });
      expect(textBySource(seen)).toEqual({ A: 'mail me at [REDACTED:email] now' });
      expect(seen.some((event) => event.type === 'token' && /joe|example/.test(event.text))).toBe(false);
    });

    it('drops a partial API key held back when its attempt is discarded', () => {
      const seen: ChainEvent[] = [];
      newScheduler().run(({ cold, expectObservable }) => {
        // Without the discard, the held 'sk-' would come out glued to the next attempt's text.
        const events = cold(' -a-r-b-e|', { a: token('A', 'key sk-'), r: retry('A', true), b: token('A', 'Hello there. '), e: ended('A') });
        expectObservable(events.pipe(guard({ guard: defaultGuard() }), tap((x) => seen.push(x)))).toBe('-A-r-b-e|', {
          A: token('A', 'key '), r: retry('A', true), b: token('A', 'Hello there. '), e: ended('A'),
        });
      });
      expect(textBySource(seen)).toEqual({ A: 'key Hello there. ' });
    });
  });
});
