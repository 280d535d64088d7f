import { Observable, Subject, asyncScheduler, finalize, of, tap } from 'rxjs';
import type { ChainEvent } from '../../src/chain-events';
import type { CancelledEvent } from '../../src/events';
import { finish } from '../../src/operators/finish';
import { untilCancelled } from '../../src/operators/until-cancelled';
import { CancelRegistry } from '../../src/pipeline/cancel-registry';
import { ALL_LETTERS, everyKind } from '../support/every-kind';
import { aReporter, bottlenecks } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

const ev = everyKind();
const cancelled = (reason: string): CancelledEvent => ({ type: 'cancelled', requestId: 'r1', reason });
const values = { ...ev, K: cancelled('cancelled by user') };

describe('untilCancelled', () => {
  it('unsubscribes the body at the cancel frame, then emits cancelled with the reason and completes', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const body = cold('   -s-t-t-t-t-|', ev);
      const cancel$ = hot(' -----r------', { r: 'cancelled by user' });
      const expected = '    -s-t-(K|)';
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1'))).toBe(expected, values);
      expectSubscriptions(body.subscriptions).toBe('^----!');
      expectSubscriptions(cancel$.subscriptions).toBe('^----!');
    });
  });

  it('has torn the body down by the time cancelled is emitted', () => {
    const whenCancelled: number[] = [];
    newScheduler().run(({ cold, hot, expectSubscriptions, flush }) => {
      const body = cold('  -s-t------', ev);
      const cancel$ = hot('----r', { r: 'stop' });
      body.pipe(untilCancelled(cancel$, 'r1')).subscribe((event) => {
        // The body's subscription log at the moment `cancelled` arrives: already unsubscribed.
        if (event.type === 'cancelled') whenCancelled.push(...body.subscriptions.map((s) => s.unsubscribedFrame));
      });
      expectSubscriptions(body.subscriptions).toBe('^---!');
      flush();
    });
    expect(whenCancelled).toEqual([4]);
  });

  it('runs the body\'s own teardown (its experts, its timers) before cancelled', () => {
    const log: string[] = [];
    newScheduler().run(({ cold, hot, flush }) => {
      const body = cold('  -s-t------', ev).pipe(finalize(() => log.push('teardown')));
      const cancel$ = hot('----r', { r: 'stop' });
      body.pipe(untilCancelled(cancel$, 'r1')).subscribe({ next: (event) => log.push(event.type), complete: () => log.push('|') });
      flush();
    });
    expect(log).toEqual(['start', 'token', 'teardown', 'cancelled', '|']);
  });

  it('uses the first reason only', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const body = cold('  -s------', ev);
      const cancel$ = hot('---ab---', { a: 'cancelled (all)', b: 'aborted' });
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1'))).toBe('-s-(K|)', { ...ev, K: cancelled('cancelled (all)') });
    });
  });

  it('never subscribes the body when cancel$ has already fired', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('-s-t|', ev);
      expectObservable(body.pipe(untilCancelled(of('aborted'), 'r1'))).toBe('(K|)', { K: cancelled('aborted') });
      expectSubscriptions(body.subscriptions).toBe([]);
    });
  });

  it('never subscribes the body when the request was cancelled in the registry before its chain was subscribed', () => {
    const registry = new CancelRegistry();
    const { cancel$ } = registry.register('r1');
    registry.cancel('r1', 'cancelled by user');
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('-s-t|', ev);
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1'))).toBe('(K|)', { K: cancelled('cancelled by user') });
      expectSubscriptions(body.subscriptions).toBe([]);
    });
  });

  it('tears the body down before cancelled when cancelled from inside the body\'s own synchronous emission, and drops what it emits after', () => {
    const log: string[] = [];
    const cancel$ = new Subject<string>();
    const body = new Observable<ChainEvent>((subscriber) => {
      log.push('body subscribed');
      subscriber.next(ev.s!);
      subscriber.next(ev.t!);
      subscriber.next(ev.C!);
      return () => log.push('body torn down');
    });
    body.pipe(untilCancelled(cancel$, 'r1')).subscribe({
      next: (event) => {
        log.push(event.type);
        if (event.type === 'start') cancel$.next('stop');
      },
      error: () => log.push('error'),
      complete: () => log.push('|'),
    });
    expect(log).toEqual(['body subscribed', 'start', 'body torn down', 'cancelled', '|']);
    expect(cancel$.observed).toBe(false);
  });

  it('does the same for a body that also completes inside that synchronous subscribe', () => {
    const log: string[] = [];
    const cancel$ = new Subject<string>();
    const body = new Observable<ChainEvent>((subscriber) => {
      subscriber.next(ev.s!);
      subscriber.next(ev.C!);
      subscriber.complete();
      return () => log.push('body torn down');
    });
    body.pipe(untilCancelled(cancel$, 'r1')).subscribe({
      next: (event) => {
        log.push(event.type === 'cancelled' ? `cancelled: ${event.reason}` : event.type);
        if (event.type === 'start') cancel$.next('stop');
      },
      complete: () => log.push('|'),
    });
    expect(log).toEqual(['start', 'body torn down', 'cancelled: stop', '|']);
  });

  it('tears down and emits cancelled at once when the subscriber cancels on receiving a later emission of the body', () => {
    const cancel$ = new Subject<string>();
    const log: string[] = [];
    newScheduler().run(({ cold, expectSubscriptions, flush }) => {
      const body = cold('-s-t-t-t|', ev);
      body.pipe(untilCancelled(cancel$, 'r1')).subscribe({
        next: (event) => {
          log.push(`${asyncScheduler.now()}: ${event.type}`);
          if (event.type === 'token') cancel$.next('stop');
        },
        complete: () => log.push(`${asyncScheduler.now()}: |`),
      });
      expectSubscriptions(body.subscriptions).toBe('^--!');
      flush();
    });
    expect(log).toEqual(['1: start', '3: token', '3: cancelled', '3: |']);
  });

  it('completes when the body completes with no cancel, and stops listening to cancel$ then', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const body = cold('   -s-C-|', ev);
      const cancel$ = hot(' ---------r', { r: 'too late' });
      const expected = '    -s-C-|';
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1'))).toBe(expected, ev);
      expectSubscriptions(cancel$.subscriptions).toBe('^----!');
    });
  });

  it('subscribes cancel$ once, before the body, so a cold cancel source runs once', () => {
    const log: string[] = [];
    const cancel$ = new Observable<string>(() => {
      log.push('cancel$ subscribed');
    });
    const body = new Observable<ChainEvent>(() => {
      log.push('body subscribed');
    });
    body.pipe(untilCancelled(cancel$, 'r1')).subscribe().unsubscribe();
    expect(log).toEqual(['cancel$ subscribed', 'body subscribed']);
  });

  it('passes a body error on, and stops listening to cancel$ then', () => {
    const boom = new Error('boom');
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const cancel$ = hot('-------r', { r: 'late' });
      expectObservable(cold('-s-#', ev, boom).pipe(untilCancelled(cancel$, 'r1'))).toBe('-s-#', ev, boom);
      expectSubscriptions(cancel$.subscriptions).toBe('^--!');
    });
  });

  it('tears down the body and cancel$ when unsubscribed', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const body = cold('  -s-t-t-t', ev);
      const cancel$ = hot('--------r', { r: 'late' });
      const unsub = '      ^---!';
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1')), unsub).toBe('-s-t', ev);
      expectSubscriptions(body.subscriptions).toBe('^---!');
      expectSubscriptions(cancel$.subscriptions).toBe('^---!');
    });
  });

  it('cancels through a Subject, the way a cancel registry entry fires', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bus = new Subject<string>();
      const body = cold('-s-t-t-t-t', ev);
      asyncScheduler.schedule(() => bus.next('cancelled by user'), 4);
      expectObservable(body.pipe(untilCancelled(bus, 'r1'))).toBe('-s-t(K|)', values);
      expectSubscriptions(body.subscriptions).toBe('^---!');
    });
  });

  it('passes every kind through as the same object while not cancelled', () => {
    const seen: ChainEvent[] = [];
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const body = cold(`${ALL_LETTERS}|`, ev);
      expectObservable(body.pipe(untilCancelled(hot<string>('-'), 'r1'), tap((event) => seen.push(event)))).toBe(`${ALL_LETTERS}|`, ev);
    });
    expect(seen).toHaveLength(ALL_LETTERS.length);
    seen.forEach((event, i) => expect(event).toBe(ev[ALL_LETTERS[i]!]));
  });

  describe('before finish', () => {
    it('lets finish see cancelled after the teardown, so a cancelled request ends with metrics then cancelled', () => {
      const reportSystemError = aReporter();
      newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const body = cold('   -s-t-t-t-t-|', ev);
        const cancel$ = hot(' ----r', { r: 'cancelled' });
        const expected = '    -s-t(mK|)';
        expectObservable(body.pipe(untilCancelled(cancel$, 'r1'), finish({ bottlenecks, reportSystemError }))).toBe(expected, {
          ...ev,
          m: expect.objectContaining({ type: 'metrics', metrics: expect.objectContaining({ total: 4, ttft: 3 }) }),
          K: cancelled('cancelled'),
        });
        expectSubscriptions(body.subscriptions).toBe('^---!');
      });
      expect(reportSystemError).not.toHaveBeenCalled();
    });

    it('lets finish turn a body that ends with no terminal into a system error instead of hanging', () => {
      newScheduler().run(({ cold, hot, expectObservable }) => {
        const body = cold('  -s-|', ev);
        const cancel$ = hot('-------', { r: 'never' });
        expectObservable(body.pipe(untilCancelled(cancel$, 'r1'), finish({ bottlenecks, reportSystemError: aReporter() }))).toBe('-s-(me|)', {
          s: ev.s,
          m: expect.objectContaining({ type: 'metrics' }),
          e: expect.objectContaining({ type: 'error', error: expect.objectContaining({ kind: 'system' }) }),
        });
      });
    });
  });
});
