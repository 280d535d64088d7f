import { Observable, asyncScheduler, config, map, of, pipe, type OperatorFunction } from 'rxjs';
import type { ChainEvent } from '../../src/chain-events';
import type { StatusEvent, TokenEvent } from '../../src/events';
import { openStages, staged, stagesOf, type ChainStage, type StageSink } from '../../src/operators/staged';
import { everyKind } from '../support/every-kind';
import { newScheduler } from '../support/virtual-time';

/** Events in these tests are status events; the message is the marble letter. */
const status = (message: string): StatusEvent => ({ type: 'status', requestId: 'r1', message });
const letters = (...names: string[]): Record<string, StatusEvent> => Object.fromEntries(names.map((name) => [name, status(name)]));
const is = (event: ChainEvent, message: string): boolean => event.type === 'status' && event.message === message;

/** A stage turning status `from` into status `to`, passing every other event on as it is. */
const renaming = (from: string, to: string): ChainStage => ({ next }) => (event) => next(is(event, from) ? status(to) : event);

/** A stage that runs `inner()` for each status `on`, handing the inner's values on as status events. */
const running = (on: string, inner: () => Observable<string>, handle?: (error: unknown, next: (event: ChainEvent) => void) => void): ChainStage =>
  (context) => (event) => {
    const { next } = context;
    if (!is(event, on)) {
      next(event);
      return;
    }
    context.run(inner(), { next: (value) => next(status(value)), ...(handle === undefined ? {} : { error: (error: unknown) => handle(error, next) }) });
  };

const boom = new Error('boom');

describe('staged', () => {
  let unhandled: jest.Mock;
  beforeEach(() => {
    unhandled = jest.fn();
    config.onUnhandledError = unhandled;
  });
  afterEach(() => {
    config.onUnhandledError = null;
    expect(unhandled).not.toHaveBeenCalled();
  });

  describe('fusion', () => {
    it('runs two staged operators piped over a cold source with ONE subscription to the source and none to the first one\'s result', () => {
      newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const source = cold('-r--r-|', letters('r'));
        const first$ = source.pipe(staged(renaming('r', 'a')));
        const firstSubscribed = jest.spyOn(first$, 'subscribe');
        expectObservable(first$.pipe(staged(renaming('a', 'b')))).toBe('-b--b-|', letters('b'));
        expectSubscriptions(source.subscriptions).toBe('^-----!');
        flush();
        expect(firstSubscribed).not.toHaveBeenCalled();
      });
    });

    it('still works with a map between two staged operators, which subscribes once more: the map, the first segment, the source once each', () => {
      newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const source = cold('-r--r-|', letters('r'));
        const first$ = source.pipe(staged(renaming('r', 'a')));
        const mapped$ = first$.pipe(map((event) => event));
        const firstSubscribed = jest.spyOn(first$, 'subscribe');
        const mappedSubscribed = jest.spyOn(mapped$, 'subscribe');
        expectObservable(mapped$.pipe(staged(renaming('a', 'b')))).toBe('-b--b-|', letters('b'));
        expectSubscriptions(source.subscriptions).toBe('^-----!');
        flush();
        expect(firstSubscribed).toHaveBeenCalledTimes(1);
        expect(mappedSubscribed).toHaveBeenCalledTimes(1);
      });
    });

    it('hands an event from one stage to the next as the same object, in pipe order', () => {
      const seen: string[] = [];
      const event = status('x');
      const spying = (name: string): ChainStage => ({ next }) => (e) => {
        seen.push(`${name}:${e === event ? 'same' : 'other'}`);
        next(e);
      };
      const out: ChainEvent[] = [];
      newScheduler().run(({ cold, flush }) => {
        cold('x|', { x: event }).pipe(staged(spying('A')), staged(spying('B')), staged(spying('C'))).subscribe((e) => out.push(e));
        flush();
      });
      expect(seen).toEqual(['A:same', 'B:same', 'C:same']);
      expect(out[0]).toBe(event);
    });

    it('opens the stages once per subscription, so each subscription has its own state', () => {
      const counting: ChainStage = ({ next }) => {
        let count = 0;
        return () => next(status(String(++count)));
      };
      newScheduler().run(({ cold, expectObservable }) => {
        const counted$ = cold('xx|', letters('x')).pipe(staged(renaming('x', 'y')), staged(counting));
        expectObservable(counted$).toBe('ab|', { a: status('1'), b: status('2') });
        expectObservable(counted$, '--^').toBe('--ab|', { a: status('1'), b: status('2') });
      });
    });

    it('passes a source error on', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-r-#', letters('r'), boom).pipe(staged(renaming('r', 'a')), staged(renaming('a', 'b')))).toBe('-b-#', letters('b'), boom);
      });
    });
  });

  describe('inner sources (run)', () => {
    it('completes only once the source and every inner source have completed', () => {
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const inner = cold('   ---i|', { i: 'i' });
        const source = cold('  -r-r|', letters('r'));
        const expected = '     ----i-i|';
        expectObservable(source.pipe(staged(running('r', () => inner)))).toBe(expected, letters('i'));
        expectSubscriptions(inner.subscriptions).toBe(['-^---!', '---^---!']);
      });
    });

    it('completes with the source when no inner source runs', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-x-|', letters('x')).pipe(staged(running('r', () => cold('---i|'))))).toBe('-x-|', letters('x'));
      });
    });

    it('counts an inner source the stage unsubscribed early (through what run returned) as done', () => {
      const stopping = (inner: Observable<string>): ChainStage => (context) => {
        let running$: { unsubscribe(): void } | undefined;
        return (event) => {
          if (is(event, 'r')) running$ = context.run(inner, { next: (value) => context.next(status(value)) });
          if (is(event, 's')) running$?.unsubscribe();
        };
      };
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const inner = cold('   -----i|', { i: 'i' });
        const source = cold('  r-s|', letters('r', 's'));
        expectObservable(source.pipe(staged(stopping(inner)))).toBe('---|');
        expectSubscriptions(inner.subscriptions).toBe('^-!');
      });
    });

    it('errors the result when an inner source errors and the stage gave no error handler, tearing down the source and the other inners', () => {
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const failing = cold('  ---#', undefined, boom);
        const slow = cold('       -----i|', { i: 'i' });
        const inners = [failing, slow];
        const source = cold('   -r-r----', letters('r'));
        expectObservable(source.pipe(staged(running('r', () => inners.shift()!)))).toBe('----#', undefined, boom);
        expectSubscriptions(source.subscriptions).toBe('^---!');
        expectSubscriptions(failing.subscriptions).toBe('-^--!');
        expectSubscriptions(slow.subscriptions).toBe('---^!');
      });
    });

    it('gives an inner\'s error to the stage\'s handler, and counts that inner as done', () => {
      newScheduler().run(({ cold, expectObservable }) => {
        const stage = running('r', () => cold('--#', undefined, boom), (error, next) => next(status(error === boom ? 'handled' : 'other')));
        expectObservable(cold('r----|', letters('r')).pipe(staged(stage))).toBe('--h--|', { h: status('handled') });
      });
    });

    it('calls the stage\'s complete handler when an inner completes', () => {
      const completing: ChainStage = (context) => () => {
        context.run(new Observable<string>((subscriber) => subscriber.complete()), { next: () => undefined, complete: () => context.next(status('done')) });
      };
      newScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-x|', letters('x')).pipe(staged(completing))).toBe('-d|', { d: status('done') });
      });
    });

    it('tears down every inner and the source when the result is unsubscribed', () => {
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const inner = cold('   ------i|', { i: 'i' });
        const source = cold('  rr-----', letters('r'));
        const unsub = '        ^--!';
        expectObservable(source.pipe(staged(running('r', () => inner)), staged(renaming('i', 'j'))), unsub).toBe('---');
        expectSubscriptions(source.subscriptions).toBe('^--!');
        expectSubscriptions(inner.subscriptions).toBe(['^--!', '-^-!']);
      });
    });
  });

  describe('failures', () => {
    it('errors the result, never an unhandled error, when a fused stage throws on an event of the source, and stops the source', () => {
      const throwing: ChainStage = () => (event) => { if (is(event, 'x')) throw boom; };
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-w-x---|', letters('w', 'x'));
        expectObservable(source.pipe(staged(renaming('q', 'q')), staged(throwing))).toBe('---#', undefined, boom);
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('errors the result when a stage throws on a value of an inner source, and stops that inner', () => {
      const throwing: ChainStage = (context) => () => {
        context.run(new Observable<string>((subscriber) => subscriber.next('v')), { next: () => { throw boom; } });
      };
      newScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-x-|', letters('x')).pipe(staged(throwing))).toBe('-#', undefined, boom);
      });
    });

    it('errors the result when a stage\'s complete or error handler throws', () => {
      const onComplete: ChainStage = (context) => () => {
        context.run(new Observable<string>((subscriber) => subscriber.complete()), { next: () => undefined, complete: () => { throw boom; } });
      };
      const onError: ChainStage = (context) => () => {
        context.run(new Observable<string>((subscriber) => subscriber.error(new Error('inner'))), { next: () => undefined, error: () => { throw boom; } });
      };
      newScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('-x-|', letters('x')).pipe(staged(onComplete))).toBe('-#', undefined, boom);
        expectObservable(cold('-x-|', letters('x')).pipe(staged(onError))).toBe('-#', undefined, boom);
      });
    });

    it('errors the result at subscribe when a stage throws while it opens', () => {
      const broken: ChainStage = () => { throw boom; };
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-x-|', letters('x'));
        expectObservable(source.pipe(staged(renaming('x', 'y')), staged(broken))).toBe('#', undefined, boom);
        expectSubscriptions(source.subscriptions).toBe([]);
      });
    });

    it('errors the result when a stage calls fail, tearing down its inners', () => {
      const failing = (inner: Observable<string>): ChainStage => (context) => (event) => {
        if (is(event, 'r')) context.run(inner, { next: (value) => context.next(status(value)) });
        if (is(event, 'f')) context.fail(boom);
      };
      newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
        const inner = cold('   -----i|', { i: 'i' });
        const source = cold('  r-f---|', letters('r', 'f'));
        expectObservable(source.pipe(staged(failing(inner)))).toBe('--#', undefined, boom);
        expectSubscriptions(inner.subscriptions).toBe('^-!');
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });
  });

  describe('add', () => {
    it.each([
      ['unsubscribed', '-x-----', '^--!', '-x-', undefined],
      ['completes', '-x-|', undefined, '-x-|', undefined],
      ['errors', '-x-#', undefined, '-x-#', boom],
    ])('runs a stage\'s teardown when the result is %s', (_how, source, unsub, expected, error) => {
      const log: string[] = [];
      const tearing: ChainStage = (context) => {
        context.add(() => log.push(`teardown at ${asyncScheduler.now()}`));
        return context.next;
      };
      newScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold(source, letters('x'), boom).pipe(staged(tearing)), unsub).toBe(expected, letters('x'), error);
      });
      expect(log).toEqual(['teardown at 3']);
    });
  });

  describe('the token road (ignoresTokens, context.token)', () => {
    const token = (text: string): TokenEvent => ({ type: 'token', requestId: 'r1', source: 'e1', text });
    /** A stage that notes every event it sees as `name:kind`, handing it on. */
    const noting = (name: string, seen: string[]): ChainStage => ({ next }) => (event) => {
      seen.push(`${name}:${event.type === 'token' ? event.text : event.type}`);
      next(event);
    };
    /** A stage emitting a token with `context.token` for each status `t`, and passing every other event on. */
    const emitting: ChainStage = (context) => (event) => (is(event, 't') ? context.token(token('x')) : context.next(event));

    it('hands a token emitted with context.token past the stages that ignore tokens, to the next one that looks', () => {
      const seen: string[] = [];
      const out: ChainEvent[] = [];
      of(status('t') as ChainEvent, status('s')).pipe(
        staged(emitting),
        staged(noting('skipped', seen), { ignoresTokens: true }),
        staged(noting('user', seen)),
      ).subscribe((event) => out.push(event));
      expect(seen).toEqual(['user:x', 'skipped:status', 'user:status']);
      expect(out).toEqual([token('x'), status('s')]);
    });

    it('keeps the order of tokens and other events, and reaches the sink\'s token when no later stage looks', () => {
      const out: string[] = [];
      const sink: StageSink = {
        next: (event) => out.push(`next:${event.type}`), token: (event) => out.push(`token:${event.text}`), error: () => out.push('error'), complete: () => out.push('complete'),
      };
      const skipped: string[] = [];
      const ignoring = Object.assign(noting('skipped', skipped), { ignoresTokens: true });
      const runner = openStages([emitting, ignoring], sink);
      runner.push(status('s'));
      runner.push(status('t'));
      runner.push(status('s'));
      runner.end();
      expect(out).toEqual(['next:status', 'token:x', 'next:status', 'complete']);
      expect(skipped).toEqual(['skipped:status', 'skipped:status']);
    });

    it('sends tokens through next where no stage ignores tokens (a user stage without the option sees them)', () => {
      const seen: string[] = [];
      of(status('t') as ChainEvent).pipe(staged(emitting), staged(noting('user', seen))).subscribe();
      expect(seen).toEqual(['user:x']);
    });

    it('marks a stage through the option without changing the stage function given', () => {
      const stage: ChainStage = ({ next }) => next;
      staged(stage, { ignoresTokens: true });
      expect(stage.ignoresTokens).toBeUndefined();
      expect(stagesOf(pipe(staged(stage, { ignoresTokens: true })))?.[0]?.ignoresTokens).toBe(true);
      expect(stagesOf(pipe(staged(stage)))?.[0]).toBe(stage);
    });
  });

  describe('stagesOf', () => {
    const a = renaming('a', 'b');
    const b = renaming('b', 'c');
    const c = renaming('c', 'd');

    it('returns the stages of a pipe of staged operators, in order', () => {
      expect(stagesOf(pipe(staged(a), staged(b)))).toEqual([a, b]);
      expect(stagesOf(staged(a))).toEqual([a]);
      expect(stagesOf(pipe(staged(a), pipe(staged(b), staged(c))))).toEqual([a, b, c]);
    });

    it('returns undefined when a non-staged operator is inside', () => {
      const identity: OperatorFunction<ChainEvent, ChainEvent> = map((event) => event);
      expect(stagesOf(pipe(staged(a), identity, staged(b)))).toBeUndefined();
      expect(stagesOf(pipe(staged(a), identity))).toBeUndefined();
      expect(stagesOf(identity)).toBeUndefined();
    });

    it('gives stages that run inline with openStages, the way a chain runs one request', () => {
      const stages = stagesOf(pipe(staged(a), staged(b), staged(c)))!;
      const out: ChainEvent[] = [];
      const sink: StageSink = { next: (event) => out.push(event), error: () => out.push(status('error')), complete: () => out.push(status('complete')) };
      const runner = openStages(stages, sink);
      runner.push(status('a'));
      runner.push(everyKind().t!);
      runner.end();
      expect(out).toEqual([status('d'), everyKind().t, status('complete')]);
    });
  });

  describe('openStages', () => {
    it('completes the sink only after end and every inner, and delivers an inner\'s values as they come', () => {
      const out: string[] = [];
      newScheduler().run(({ cold, flush }) => {
        const sink: StageSink = {
          next: (event) => out.push(`${event.type === 'status' ? event.message : event.type} at ${asyncScheduler.now()}`),
          error: () => out.push('error'),
          complete: () => out.push(`complete at ${asyncScheduler.now()}`),
        };
        const runner = openStages([running('r', () => cold('--i|', { i: 'i' }))], sink);
        runner.push(status('r'));
        runner.end();
        out.push('ended');
        flush();
      });
      expect(out).toEqual(['ended', 'i at 2', 'complete at 3']);
    });

    it('stops delivering to the sink once it failed', () => {
      const out: string[] = [];
      const sink: StageSink = { next: () => out.push('next'), error: (error) => out.push(error === boom ? 'error' : 'other'), complete: () => out.push('complete') };
      const runner = openStages([({ next }) => next], sink);
      runner.fail(boom);
      runner.push(status('x'));
      runner.end();
      runner.fail(new Error('again'));
      expect(out).toEqual(['error']);
    });

    it('neither completes nor errors the sink when its subscription is unsubscribed with an inner still running', () => {
      const out: string[] = [];
      newScheduler().run(({ cold, flush }) => {
        const sink: StageSink = { next: () => out.push('next'), error: () => out.push('error'), complete: () => out.push('complete') };
        const runner = openStages([running('r', () => cold('----i|', { i: 'i' }))], sink);
        runner.push(status('r'));
        runner.end();
        runner.subscription.unsubscribe();
        flush();
      });
      expect(out).toEqual([]);
    });
  });
});
