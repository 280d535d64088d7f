import { asyncScheduler, catchError, concat, defer, of } from 'rxjs';
import { timed, timedSync } from '../../src/operators/timed';
import type { Stage } from '../../src/metrics';
import { MetricsRecorder } from '../../src/pipeline/metrics-recorder';
import { newScheduler } from '../support/virtual-time';

const aRecord = () => jest.fn<void, [Stage, number]>();

describe('timed', () => {
  it('records the exact duration from subscribe to complete', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const record = aRecord();
      const source = cold('  ---a--|');
      const subs = '       --^';
      expectObservable(source.pipe(timed('cache', { clock: asyncScheduler, record })), subs).toBe('-----a--|');
      expectSubscriptions(source.subscriptions).toBe('--^-----!');
      flush();
      expect(record.mock.calls).toEqual([['cache', 6]]);
    });
  });

  it('records the exact duration from subscribe to error, and passes the error on', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const record = aRecord();
      const boom = new Error('boom');
      const source = cold('-a--#', undefined, boom);
      expectObservable(source.pipe(timed('routing', { clock: asyncScheduler, record }))).toBe('-a--#', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe('^---!');
      flush();
      expect(record.mock.calls).toEqual([['routing', 4]]);
    });
  });

  it('records the exact duration from subscribe to unsubscribe', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const record = aRecord();
      const source = cold('-a-------|');
      const unsub = '      ^---!';
      expectObservable(source.pipe(timed('execution', { clock: asyncScheduler, record })), unsub).toBe('-a--');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      flush();
      expect(record.mock.calls).toEqual([['execution', 4]]);
    });
  });

  it('records nothing while the source runs, and once only when it ends', () => {
    newScheduler().run(({ cold, flush }) => {
      const record = aRecord();
      const sub = cold('--a-|').pipe(timed('cache', { clock: asyncScheduler, record })).subscribe();
      let callsAtFrame3 = -1;
      asyncScheduler.schedule(() => { callsAtFrame3 = record.mock.calls.length; }, 3);
      flush();
      sub.unsubscribe();
      expect(callsAtFrame3).toBe(0);
      expect(record.mock.calls).toEqual([['cache', 4]]);
    });
  });

  it('records 0 for a source that ends synchronously', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const record = aRecord();
      expectObservable(of('a').pipe(timed('validation', { clock: asyncScheduler, record }))).toBe('(a|)');
      flush();
      expect(record.mock.calls).toEqual([['validation', 0]]);
    });
  });

  it('records the figure before the completion is passed on, so a stage concatenated after it sees it', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const metrics = new MetricsRecorder(0);
      const source = cold('---|');
      const result = concat(
        source.pipe(timed('cache', { clock: asyncScheduler, record: metrics.stage })),
        defer(() => of(metrics.stages.cache)),
      );
      expectObservable(result).toBe('---(x|)', { x: 3 });
    });
  });

  it('records the figure before the error is passed on, so a catchError after it sees it', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const metrics = new MetricsRecorder(0);
      const source = cold('--#');
      const result = source.pipe(
        timed('routing', { clock: asyncScheduler, record: metrics.stage }),
        catchError(() => of(metrics.stages.routing)),
      );
      expectObservable(result).toBe('--(x|)', { x: 2 });
    });
  });

  it('times each subscription on its own', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const record = aRecord();
      const timed$ = cold('--|').pipe(timed('fusion', { clock: asyncScheduler, record }));
      expectObservable(timed$).toBe('--|');
      expectObservable(timed$, '---^').toBe('-----|');
      flush();
      expect(record.mock.calls).toEqual([['fusion', 2], ['fusion', 2]]);
    });
  });

  it('accumulates a stage that runs twice into the job metrics', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const metrics = new MetricsRecorder(0);
      const source = cold('--|');
      const stage = source.pipe(timed('cache', { clock: asyncScheduler, record: metrics.stage }));
      expectObservable(concat(stage, stage)).toBe('----|');
      flush();
      expect(metrics.stages).toEqual({ cache: 4 });
    });
  });
});

describe('timedSync', () => {
  it('returns the step result and records the time the step took on the clock', () => {
    let now = 10;
    const record = aRecord();
    const result = timedSync('validation', { clock: { now: () => now }, record }, () => {
      now += 7;
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(record.mock.calls).toEqual([['validation', 7]]);
  });

  it('records the time even when the step throws, and rethrows', () => {
    let now = 0;
    const record = aRecord();
    const boom = new Error('router failed');
    expect(() => timedSync('routing', { clock: { now: () => now }, record }, () => {
      now += 3;
      throw boom;
    })).toThrow(boom);
    expect(record.mock.calls).toEqual([['routing', 3]]);
  });
});
