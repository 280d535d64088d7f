import { asyncScheduler } from 'rxjs';
import { settle } from '../../src/operators/settle';
import { newScheduler } from '../support/virtual-time';

describe('settle', () => {
  it('passes values through and emits onComplete() last when the source completes', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-|');
      const expected = '   -a-b-(c|)';
      const subs = '       ^----!';
      expectObservable(source.pipe(settle(() => 'c', () => 'e'))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('emits onError(error) instead of the error and completes when the source fails', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const boom = new Error('boom');
      const onError = jest.fn((error: unknown) => `failed: ${(error as Error).message}`);
      const source = cold('-a-#', undefined, boom);
      const expected = '   -a-(e|)';
      const subs = '       ^--!';
      expectObservable(source.pipe(settle(() => 'c', onError))).toBe(expected, { a: 'a', e: 'failed: boom' });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('calls onComplete once, at the frame the source completes, not at subscription', () => {
    const calls: number[] = [];
    const onError = jest.fn(() => 'e');
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('---|').pipe(settle(() => { calls.push(asyncScheduler.now()); return 'c'; }, onError))).toBe('---(c|)');
    });
    expect(calls).toEqual([3]);
    expect(onError).not.toHaveBeenCalled();
  });

  it('calls onError once with the very error the source failed with, and never onComplete', () => {
    const boom = new Error('boom');
    const onComplete = jest.fn(() => 'c');
    const onError = jest.fn(() => 'e');
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('--#', undefined, boom).pipe(settle(onComplete, onError))).toBe('--(e|)');
    });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]).toEqual([boom]);
    expect((onError.mock.calls[0] as unknown[])[0]).toBe(boom);
    expect(onComplete).not.toHaveBeenCalled();
  });

  it('emits just the final value for an empty source', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(settle(() => 'c', () => 'e'))).toBe('(c|)');
    });
  });

  it('passes each value on as the same object', () => {
    const value = { text: 'hello' };
    const seen: unknown[] = [];
    newScheduler().run(({ cold, expectObservable }) => {
      const result = cold('-v|', { v: value }).pipe(settle(() => 'c', () => 'e'));
      result.subscribe((v) => seen.push(v));
      expectObservable(result).toBe('-v(c|)', { v: value, c: 'c' });
    });
    expect(seen[0]).toBe(value);
  });

  it('unsubscribes the source when the subscriber leaves, and calls neither callback', () => {
    const onComplete = jest.fn(() => 'c');
    const onError = jest.fn(() => 'e');
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-|');
      const unsub = '      ^--!';
      const expected = '   -a-';
      const subs = '       ^--!';
      expectObservable(source.pipe(settle(onComplete, onError)), unsub).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
    expect(onComplete).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
  });
});
