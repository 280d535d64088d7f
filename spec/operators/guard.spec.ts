import { asyncScheduler, tap } from 'rxjs';
import type { ExpertEvent, RetryEvent, TokenEvent } from '../../src/events';
import { guard } from '../../src/operators/guard';
import { createJob, type Job } from '../../src/pipeline/job';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import type { OutputGuard, TokenRedactor } from '../../src/ports';
import { defaultGuard } from '../../src/strategies/output-guard';
import { newScheduler } from '../support/virtual-time';

const SECRET = 'secret';

/**
 * A tiny guard: redacts 'secret' as '[X]', holding back any tail that could still grow into it.
 * `apply` advances `clock` by 7 ms, so the recorded outputGuard stage is exact.
 */
const secretGuard = () => {
  let now = 100;
  const clock = { now: () => now };
  const redact = (text: string): string => text.split(SECRET).join('[X]');
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
    apply: (text) => {
      now += 7;
      return redact(text);
    },
  };
  return { deps: { guard: fake, clock }, clock };
};

const token = (source: string, text: string): TokenEvent => ({ type: 'token', requestId: 'r1', source, text });
const ended = (expertId: string): ExpertEvent => ({ type: 'expert', requestId: 'r1', expertId, outcome: 'ok', ms: 5, tokens: 2 });
const retry = (source: string, discard: boolean): RetryEvent =>
  ({ type: 'retry', requestId: 'r1', source, attempt: 1, maxRetries: 2, delayMs: 10, reason: 'HTTP 503', discard });
const answeredJob = (text: string): Job => {
  const job = createJob('r1', { prompt: 'p', options: {} }, 0);
  job.result = { text, fromCache: false, degraded: false };
  return job;
};

/** The text each source's emitted tokens add up to. */
const textBySource = (events: readonly StageEvent[]): Record<string, string> => {
  const texts: Record<string, string> = {};
  for (const event of events) if (event.type === 'token') texts[event.source] = (texts[event.source] ?? '') + event.text;
  return texts;
};

describe('guard', () => {
  it('passes a token with nothing to redact on as the same object', () => {
    const { deps } = secretGuard();
    const hello = token('A', 'hello ');
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const events = cold(' -a|', { a: hello });
      expectObservable(events.pipe(guard(deps), tap((e) => seen.push(e)))).toBe('-a|', { a: hello });
      expectSubscriptions(events.subscriptions).toBe('^-!');
    });
    expect(seen[0]).toBe(hello);
  });

  it('redacts a secret split across two tokens of one source, never emitting it', () => {
    const { deps } = secretGuard();
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-b-e|', { a: token('A', 'my sec'), b: token('A', 'ret is out'), e: ended('A') });
      const expected = '    -A-B-e|';
      expectObservable(events.pipe(guard(deps), tap((e) => seen.push(e))))
        .toBe(expected, { A: token('A', 'my '), B: token('A', '[X] is out'), e: ended('A') });
    });
    expect(textBySource(seen)).toEqual({ A: 'my [X] is out' });
  });

  it('flushes a source\'s held-back text on its expert event, before the expert event', () => {
    const { deps } = secretGuard();
    const done = ended('A');
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a--e---|', { a: token('A', 'say s'), e: done });
      const expected = '    -A--(fe)|';
      expectObservable(events.pipe(guard(deps), tap((e) => seen.push(e)))).toBe(expected, {
        A: token('A', 'say '), f: token('A', 's'), e: done,
      });
    });
    expect(seen[seen.length - 1]).toBe(done);
  });

  it('drops the held-back text of an attempt abandoned by a retry with discard', () => {
    const { deps } = secretGuard();
    const again = token('A', 'ret!');
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-r-b-e|', { a: token('A', 'abc sec'), r: retry('A', true), b: again, e: ended('A') });
      const expected = '    -A-r-b-e|';
      expectObservable(events.pipe(guard(deps), tap((e) => seen.push(e))))
        .toBe(expected, { A: token('A', 'abc '), r: retry('A', true), b: again, e: ended('A') });
    });
    expect(seen[2]).toBe(again);
    expect(textBySource(seen)).toEqual({ A: 'abc ret!' });
  });

  it('keeps sources independent: one source\'s held-back tail is not joined with another\'s text', () => {
    const { deps } = secretGuard();
    const ret = token('B', 'ret');
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-b-e----f|', { a: token('A', 'my sec'), b: ret, e: ended('A'), f: ended('B') });
      const expected = '    -A-b-(se)-f|';
      expectObservable(events.pipe(guard(deps), tap((x) => seen.push(x))))
        .toBe(expected, { A: token('A', 'my '), b: ret, s: token('A', 'sec'), e: ended('A'), f: ended('B') });
    });
    expect(seen[1]).toBe(ret);
    expect(textBySource(seen)).toEqual({ A: 'my sec', B: 'ret' });
  });

  it('on answer: flushes every source, guards the final text, records the outputGuard stage and hands on guarded', () => {
    const { deps } = secretGuard();
    const job = answeredJob('Fused secret and more secrets');
    newScheduler().run(({ cold, expectObservable }) => {
      const events = cold(' -a-b-n-----|', { a: token('fusion', 'Fused sec'), b: token('B', 'tell s'), n: handoff('answer', job) });
      const expected = '    -A-B-(fsg)-|';
      expectObservable(events.pipe(guard(deps))).toBe(expected, {
        A: token('fusion', 'Fused '), B: token('B', 'tell '), f: token('fusion', 'sec'), s: token('B', 's'), g: handoff('guarded', job),
      });
    });
    expect(job.result).toEqual({ text: 'Fused [X] and more [X]s', fromCache: false, degraded: false });
    expect(job.metrics.stages).toEqual({ outputGuard: 7 });
  });

  it('hands on guarded without a result to guard (nothing held back, no tokens)', () => {
    const { deps } = secretGuard();
    const job = createJob('r1', { prompt: 'p', options: {} }, 0);
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-n|', { n: handoff('answer', job) }).pipe(guard(deps))).toBe('-g|', { g: handoff('guarded', job) });
    });
    expect(job.result).toBeUndefined();
    expect(job.metrics.stages).toEqual({ outputGuard: 0 });
  });

  it('passes every other event kind through untouched, as the same object', () => {
    const { deps } = secretGuard();
    const job = answeredJob('x');
    const passing: StageEvent[] = [
      { type: 'start', requestId: 'r1', at: 0 },
      { type: 'plan', requestId: 'r1', plan: { id: 'p', intent: 'general', tasks: [], fusion: { id: 'best', version: '1' } } },
      { type: 'cache', requestId: 'r1', hit: false, key: 'k' },
      retry('A', false),
      { type: 'status', requestId: 'r1', message: 'Retry 1/2 in 10ms' },
      handoff('execute', job),
      handoff('answers', job),
      handoff('guarded', job),
      { type: 'metrics', requestId: 'r1', metrics: { total: 1, stages: {}, ttft: null, experts: {}, cacheHit: false, degraded: false, bottlenecks: [] } },
      { type: 'complete', requestId: 'r1', text: 'x', fromCache: false, degraded: false },
      { type: 'error', requestId: 'r1', error: { kind: 'system', message: 'm', user: false } },
      { type: 'cancelled', requestId: 'r1', reason: 'r' },
    ];
    const values = Object.fromEntries(passing.map((event, i) => [String.fromCharCode(97 + i), event]));
    const seen: StageEvent[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdefghijkl|', values).pipe(guard(deps), tap((e) => seen.push(e)))).toBe('abcdefghijkl|', values);
    });
    expect(seen).toHaveLength(passing.length);
    seen.forEach((event, i) => expect(event).toBe(passing[i]));
    expect(job.result?.text).toBe('x');
  });

  it('unsubscribes its source at the frame the subscriber leaves', () => {
    const { deps } = secretGuard();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const events = cold(' -a-b-c|', { a: token('A', 'x'), b: token('A', 'y'), c: token('A', 'z') });
      const unsub = '       ^--!';
      expectObservable(events.pipe(guard(deps)), unsub).toBe('-a-', { a: token('A', 'x') });
      expectSubscriptions(events.subscriptions).toBe('^--!');
    });
  });

  it('passes a source error on', () => {
    const { deps } = secretGuard();
    const boom = new Error('boom');
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', { a: token('A', 'x') }, boom).pipe(guard(deps))).toBe('-a-#', { a: token('A', 'x') }, boom);
    });
  });

  describe('with the default guard', () => {
    it('redacts an e-mail address split across tokens, in the stream and in the final text', () => {
      const deps = { guard: defaultGuard(), clock: asyncScheduler };
      const job = answeredJob('mail me at joe@example.com now');
      const seen: StageEvent[] = [];
      newScheduler().run(({ cold, expectObservable }) => {
        const events = cold(' -a-b-c-d-e---n|', {
          a: token('A', 'mail me at jo'), b: token('A', 'e@exam'), c: token('A', 'ple.com'), d: token('A', ' now'), e: ended('A'),
          n: handoff('answer', job),
        });
        const expected = '    -A-----D-(fe)g|';
        expectObservable(events.pipe(guard(deps), tap((x) => seen.push(x)))).toBe(expected, {
          A: token('A', 'mail me at '), D: token('A', '[REDACTED:email] '), f: token('A', 'now'), e: ended('A'), g: handoff('guarded', job),
        });
      });
      expect(textBySource(seen)).toEqual({ A: 'mail me at [REDACTED:email] now' });
      expect(seen.some((event) => event.type === 'token' && /joe|example/.test(event.text))).toBe(false);
      expect(job.result?.text).toBe('mail me at [REDACTED:email] now');
    });

    it('drops a partial API key held back when its attempt is discarded', () => {
      const deps = { guard: defaultGuard(), clock: asyncScheduler };
      const seen: StageEvent[] = [];
      newScheduler().run(({ cold, expectObservable }) => {
        // Without the discard, the held 'sk-' would come out glued to the next attempt's text.
        const events = cold(' -a-r-b-e|', { a: token('A', 'key sk-'), r: retry('A', true), b: token('A', 'Hello there. '), e: ended('A') });
        expectObservable(events.pipe(guard(deps), tap((x) => seen.push(x)))).toBe('-A-r-b-e|', {
          A: token('A', 'key '), r: retry('A', true), b: token('A', 'Hello there. '), e: ended('A'),
        });
      });
      expect(textBySource(seen)).toEqual({ A: 'key Hello there. ' });
    });
  });
});
