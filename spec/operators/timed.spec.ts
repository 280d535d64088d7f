import { asyncScheduler, catchError, concat, defer, of } from 'rxjs';
import { timed } from '../../src/operators/timed';
import { manualClock } from '../support/manual-clock';
import { newScheduler } from '../support/virtual-time';

const aRecord = () => jest.fn<void, [number]>();

describe('timed', () => {
  it('records the exact duration from subscribe to complete', () => {
    const record = aRecord();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('  ---a--|');
      const subs = '       --^';
      expectObservable(source.pipe(timed(record)), subs).toBe('-----a--|');
      expectSubscriptions(source.subscriptions).toBe('--^-----!');
    });
    expect(record.mock.calls).toEqual([[6]]);
  });

  it('records the exact duration from subscribe to error, and passes the error on', () => {
    const record = aRecord();
    const boom = new Error('boom');
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--#', undefined, boom);
      expectObservable(source.pipe(timed(record))).toBe('-a--#', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
    expect(record.mock.calls).toEqual([[4]]);
  });

  it('records the exact duration from subscribe to unsubscribe', () => {
    const record = aRecord();
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-------|');
      const unsub = '      ^---!';
      expectObservable(source.pipe(timed(record)), unsub).toBe('-a--');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
    expect(record.mock.calls).toEqual([[4]]);
  });

  it('records nothing while the source runs, and once only when it ends', () => {
    const record = aRecord();
    let callsAtFrame3 = -1;
    newScheduler().run(({ cold, flush }) => {
      const sub = cold('--a-|').pipe(timed(record)).subscribe();
      asyncScheduler.schedule(() => { callsAtFrame3 = record.mock.calls.length; }, 3);
      flush();
      sub.unsubscribe();
    });
    expect(callsAtFrame3).toBe(0);
    expect(record.mock.calls).toEqual([[4]]);
  });

  it('records 0 for a source that ends synchronously', () => {
    const record = aRecord();
    newScheduler().run(({ expectObservable }) => {
      expectObservable(of('a').pipe(timed(record))).toBe('(a|)');
    });
    expect(record.mock.calls).toEqual([[0]]);
  });

  it('reads the scheduler it is given', () => {
    const record = aRecord();
    const clock = manualClock(40);
    newScheduler().run(({ cold, flush }) => {
      cold('--a-|').pipe(timed(record, clock.scheduler)).subscribe();
      asyncScheduler.schedule(() => clock.advance(9), 2);
      flush();
    });
    expect(record.mock.calls).toEqual([[9]]);
  });

  it('records the figure before the completion is passed on, so a stage concatenated after it sees it', () => {
    let recorded: number | undefined;
    newScheduler().run(({ cold, expectObservable }) => {
      const result = concat(
        cold('---|').pipe(timed((ms) => { recorded = ms; })),
        defer(() => of(recorded)),
      );
      expectObservable(result).toBe('---(x|)', { x: 3 });
    });
  });

  it('records the figure before the error is passed on, so a catchError after it sees it', () => {
    let recorded: number | undefined;
    newScheduler().run(({ cold, expectObservable }) => {
      const result = cold('--#').pipe(
        timed((ms) => { recorded = ms; }),
        catchError(() => of(recorded)),
      );
      expectObservable(result).toBe('--(x|)', { x: 2 });
    });
  });

  it('times each subscription on its own', () => {
    const record = aRecord();
    newScheduler().run(({ cold, expectObservable }) => {
      const timed$ = cold('--|').pipe(timed(record));
      expectObservable(timed$).toBe('--|');
      expectObservable(timed$, '---^').toBe('-----|');
    });
    expect(record.mock.calls).toEqual([[2], [2]]);
  });

  it('records each run of a source that runs twice', () => {
    const record = aRecord();
    newScheduler().run(({ cold, expectObservable }) => {
      const stage = cold('--|').pipe(timed(record));
      expectObservable(concat(stage, stage)).toBe('----|');
    });
    expect(record.mock.calls).toEqual([[2], [2]]);
  });
});
