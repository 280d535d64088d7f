/**
 * The envelope: `finish` over `untilCancelled` over staged operators runs fused, as one
 * subscription (src/operators/envelope.ts). Every behaviour here is checked for the fused form
 * and for the same chain with a `map` in the body, which keeps the three operators apart.
 */
import { Observable, Subject, asyncScheduler, map, of } from 'rxjs';
import type { ChainEvent } from '../../src/chain-events';
import type { PipelineEvent } from '../../src/events';
import { finish } from '../../src/operators/finish';
import { staged, type ChainStage } from '../../src/operators/staged';
import { untilCancelled } from '../../src/operators/until-cancelled';
import { aReporter, bottlenecks, requestEvent } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

/** A body stage: on the request, `start`, then the inner's pieces as tokens, then `complete` with their text. */
const answering = (inner: () => Observable<string>): ChainStage => (context) => (event) => {
  const { next } = context;
  if (event.type !== 'request') {
    next(event);
    return;
  }
  const { requestId } = event;
  next({ type: 'start', requestId, at: event.at });
  const parts: string[] = [];
  context.run(inner(), {
    next: (text) => {
      parts.push(text);
      next({ type: 'token', requestId, source: 'a', text });
    },
    complete: () => next({ type: 'complete', requestId, text: parts.join(''), fromCache: false, degraded: false }),
  });
};

type Form = (body: Observable<ChainEvent>) => Observable<ChainEvent>;
const FORMS: [string, Form][] = [
  ['fused', (body) => body],
  ['unfused (a map in the body)', (body) => body.pipe(map((event) => event))],
];

const deps = () => ({ bottlenecks, reportSystemError: aReporter(), onEnd: jest.fn<void, [string]>() });

/** The whole envelope over `stage`, started by one request (`of`, so the source has ended when the stages run). */
const request$ = (form: Form, stage: ChainStage, cancel$: Observable<string>, d: ReturnType<typeof deps>): Observable<PipelineEvent> =>
  of<ChainEvent>(requestEvent('Hi')).pipe(staged(stage), form, untilCancelled(cancel$, 'r1'), finish(d));

const metrics = expect.objectContaining({ type: 'metrics' });
const values = {
  s: { type: 'start', requestId: 'r1', at: 0 },
  a: { type: 'token', requestId: 'r1', source: 'a', text: 'a' },
  b: { type: 'token', requestId: 'r1', source: 'a', text: 'b' },
  m: metrics,
  C: { type: 'complete', requestId: 'r1', text: 'ab', fromCache: false, degraded: false },
  K: { type: 'cancelled', requestId: 'r1', reason: 'stop' },
};

describe.each(FORMS)('the envelope, %s', (_form, form) => {
  it('runs the body to its terminal: metrics, then the terminal, then completion', () => {
    const d = deps();
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const inner = cold('-a-b|');
      expectObservable(request$(form, answering(() => inner), hot('-'), d)).toBe('sa-b(mC|)', values);
    });
    expect(d.onEnd.mock.calls).toEqual([['r1']]);
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('tears the body down at the cancel, before cancelled, then metrics and cancelled', () => {
    const d = deps();
    const log: string[] = [];
    newScheduler().run(({ cold, hot, expectSubscriptions, flush }) => {
      const inner = cold('   -a---b|');
      const cancel$ = hot('  ---r', { r: 'stop' });
      request$(form, answering(() => inner), cancel$, d).subscribe({
        // When `cancelled` arrives, the inner's subscription log already shows it unsubscribed.
        next: (event) => log.push(`${asyncScheduler.now()} ${event.type}${event.type === 'cancelled' ? ` (inner unsubscribed at ${inner.subscriptions[0]!.unsubscribedFrame})` : ''}`),
        complete: () => log.push(`${asyncScheduler.now()} |`),
      });
      expectSubscriptions(inner.subscriptions).toBe('^--!');
      flush();
    });
    expect(log).toEqual(['0 start', '1 token', '3 metrics', '3 cancelled (inner unsubscribed at 3)', '3 |']);
    expect(d.onEnd.mock.calls).toEqual([['r1']]);
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('never starts the body when cancel$ has already fired', () => {
    const started = jest.fn();
    newScheduler().run(({ expectObservable }) => {
      const stage: ChainStage = ({ next }) => (event) => { started(); next(event); };
      expectObservable(request$(form, stage, of('stop'), deps())).toBe('(mK|)', values);
    });
    expect(started).not.toHaveBeenCalled();
  });

  it('tears the body down before cancelled when the caller cancels inside the body\'s synchronous start, and drops the rest', () => {
    const log: string[] = [];
    const cancel$ = new Subject<string>();
    const inner = (): Observable<string> => new Observable<string>((subscriber) => {
      subscriber.next('a');
      subscriber.next('b');
      return () => log.push('inner torn down');
    });
    request$(form, answering(inner), cancel$, deps()).subscribe({
      next: (event) => {
        log.push(event.type);
        if (event.type === 'start') cancel$.next('stop');
      },
      complete: () => log.push('|'),
    });
    expect(log).toEqual(['start', 'inner torn down', 'metrics', 'cancelled', '|']);
  });

  it('reports nothing and calls no onEnd when the caller unsubscribes mid-request, and tears the body down', () => {
    const d = deps();
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const inner = cold('-a---b|');
      expectObservable(request$(form, answering(() => inner), hot('-'), d), '^--!').toBe('sa-', values);
      expectSubscriptions(inner.subscriptions).toBe('^--!');
    });
    expect(d.onEnd).not.toHaveBeenCalled();
    expect(d.reportSystemError).not.toHaveBeenCalled();
  });

  it('turns a body that ends with no terminal into a reported system error', () => {
    const d = deps();
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const silent: ChainStage = (context) => () => {
        context.next(values.s as ChainEvent);
        context.run(cold('--|'), { next: () => undefined });
      };
      expectObservable(request$(form, silent, hot('-'), d)).toBe('s-(me|)', {
        s: values.s, m: metrics, e: expect.objectContaining({ type: 'error', error: expect.objectContaining({ kind: 'system' }) }),
      });
    });
    expect(d.reportSystemError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'the chain ended without a terminal event' }), { requestId: 'r1', stage: 'pipeline' });
  });
});

describe('the envelope', () => {
  it('subscribes nothing between the caller and the stages when fused: untilCancelled\'s own Observable is never subscribed', () => {
    const body$ = of<ChainEvent>(requestEvent('Hi')).pipe(staged(answering(() => new Observable<string>((subscriber) => {
      subscriber.next('a');
      subscriber.complete();
    }))));
    const cancellable$ = body$.pipe(untilCancelled(new Subject<string>(), 'r1'));
    const bodySubscribed = jest.spyOn(body$, 'subscribe');
    const cancellableSubscribed = jest.spyOn(cancellable$, 'subscribe');
    const types: string[] = [];
    cancellable$.pipe(finish(deps())).subscribe((event) => types.push(event.type));
    expect(types).toEqual(['start', 'token', 'metrics', 'complete']);
    expect(bodySubscribed).not.toHaveBeenCalled();
    expect(cancellableSubscribed).not.toHaveBeenCalled();
    // The same chain unfused subscribes both.
    cancellable$.subscribe();
    expect(bodySubscribed).toHaveBeenCalledTimes(1);
    expect(cancellableSubscribed).toHaveBeenCalledTimes(1);
  });
});
