import { Observable, Subject, asyncScheduler, finalize, of, tap } from 'rxjs';
import type { CancelledEvent } from '../../src/events';
import { finish } from '../../src/operators/finish';
import { untilCancelled } from '../../src/operators/until-cancelled';
import type { StageEvent } from '../../src/pipeline/stage-events';
import { abortSignal$ } from '../../src/sources/cancel-sources';
import { aJob, aReporter, bottlenecks, everyKind, lettersExcept } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

const job = aJob();
const ev = everyKind(job);
const cancelled = (reason: string): CancelledEvent => ({ type: 'cancelled', requestId: 'r1', reason });
const values = { ...ev, C: cancelled('cancelled by user') };

describe('untilCancelled', () => {
  it('unsubscribes the body at the cancel frame, then emits cancelled with the reason and completes', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const body = cold('   -s-t-t-t-t-|', ev);
      const cancel$ = hot(' -----r------', { r: 'cancelled by user' });
      const expected = '    -s-t-(C|)';
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1'))).toBe(expected, values);
      expectSubscriptions(body.subscriptions).toBe('^----!');
      expectSubscriptions(cancel$.subscriptions).toBe('^----!');
    });
  });

  it('tears the body down before cancelled is emitted', () => {
    newScheduler().run(({ cold, hot, flush }) => {
      const log: string[] = [];
      const body = cold('  -s-t------', ev).pipe(finalize(() => log.push('teardown')));
      const cancel$ = hot('----r', { r: 'stop' });
      body.pipe(untilCancelled(cancel$, 'r1')).subscribe({ next: (event) => log.push(event.type), complete: () => log.push('|') });
      flush();
      expect(log).toEqual(['start', 'token', 'teardown', 'cancelled', '|']);
    });
  });

  it('uses the first reason only', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const body = cold('  -s------', ev);
      const cancel$ = hot('---ab---', { a: 'cancelled (all)', b: 'aborted' });
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1'))).toBe('-s-(C|)', { ...ev, C: cancelled('cancelled (all)') });
    });
  });

  it('never subscribes the body when cancel$ has already fired', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('-s-t|', ev);
      expectObservable(body.pipe(untilCancelled(of('aborted'), 'r1'))).toBe('(C|)', { C: cancelled('aborted') });
      expectSubscriptions(body.subscriptions).toBe([]);
    });
  });

  it('never subscribes the body for an AbortSignal that was aborted before the request', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      controller.abort();
      const body = cold('-s-t|', ev);
      expectObservable(body.pipe(untilCancelled(abortSignal$(controller.signal), 'r1'))).toBe('(C|)', { C: cancelled('aborted') });
      expectSubscriptions(body.subscriptions).toBe([]);
    });
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

  it('lets finish turn a body that ends with no terminal into a system error instead of hanging', () => {
    newScheduler().run(({ cold, hot, expectObservable }) => {
      const local = aJob();
      const body = cold('  -s-|', everyKind(local));
      const cancel$ = hot('-------', { r: 'never' });
      const result = body.pipe(untilCancelled(cancel$, 'r1'), finish(local, { clock: asyncScheduler, bottlenecks, reportSystemError: aReporter() }));
      expectObservable(result).toBe('-s-(me|)', {
        s: everyKind(local).s,
        m: expect.objectContaining({ type: 'metrics' }),
        e: expect.objectContaining({ type: 'error', error: expect.objectContaining({ kind: 'system' }) }),
      });
    });
  });

  it('lets finish see cancelled before the end of the body, so a cancelled request ends with metrics then cancelled', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions, flush }) => {
      const local = aJob();
      const d = { clock: asyncScheduler, bottlenecks, reportSystemError: aReporter() };
      const body = cold('   -s-t-t-t-t-|', everyKind(local));
      const cancel$ = hot(' ----r', { r: 'cancelled' });
      const expected = '    -s-t(mX|)';
      expectObservable(body.pipe(untilCancelled(cancel$, 'r1'), finish(local, d))).toBe(expected, {
        s: everyKind(local).s, t: everyKind(local).t,
        m: expect.objectContaining({ type: 'metrics', metrics: expect.objectContaining({ total: 4, ttft: 3 }) }),
        X: cancelled('cancelled'),
      });
      expectSubscriptions(body.subscriptions).toBe('^---!');
      flush();
      expect(d.reportSystemError).not.toHaveBeenCalled();
    });
  });

  it('subscribes cancel$ once, before the body, so a cold cancel source runs once', () => {
    newScheduler().run(({ flush }) => {
      const log: string[] = [];
      const cancel$ = new Observable<string>(() => {
        log.push('cancel$ subscribed');
      });
      const body = new Observable<StageEvent>(() => {
        log.push('body subscribed');
      });
      const sub = body.pipe(untilCancelled(cancel$, 'r1')).subscribe();
      flush();
      sub.unsubscribe();
      expect(log).toEqual(['cancel$ subscribed', 'body subscribed']);
    });
  });

  it('passes a body error on', () => {
    newScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const boom = new Error('boom');
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

  it('cancels through a Subject, the way the plugin cancel bus does', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bus = new Subject<string>();
      const body = cold('-s-t-t-t-t', ev);
      asyncScheduler.schedule(() => bus.next('cancelled by user'), 4);
      expectObservable(body.pipe(untilCancelled(bus, 'r1'))).toBe('-s-t(C|)', values);
      expectSubscriptions(body.subscriptions).toBe('^---!');
    });
  });

  it('passes every kind through as the same object while not cancelled', () => {
    newScheduler().run(({ cold, hot, expectObservable, flush }) => {
      const letters = lettersExcept();
      const body = cold(`${letters}|`, ev);
      const seen: StageEvent[] = [];
      const result = body.pipe(untilCancelled(hot<string>('-'), 'r1'), tap((event) => seen.push(event)));
      expectObservable(result).toBe(`${letters}|`, ev);
      flush();
      expect(seen).toHaveLength(letters.length);
      seen.forEach((event, i) => expect(event).toBe(ev[letters[i]]));
    });
  });
});
