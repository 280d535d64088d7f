import { asyncScheduler } from 'rxjs';
import { fanIn } from '../../src/operators/fan-in';
import { newScheduler } from '../support/virtual-time';

describe('fanIn', () => {
  it('forwards every run as it comes, then emits done and completes, timing the whole', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const a = cold(' -a---a|');
      const b = cold(' --b|   ');
      const recorded: [string, number][] = [];
      const result = fanIn([a, b], () => 'd', 'execution', { clock: asyncScheduler, record: (stage, ms) => recorded.push([stage, ms]) });
      expectObservable(result).toBe('-ab--a(d|)');
      expectSubscriptions(a.subscriptions).toBe('^-----!');
      expectSubscriptions(b.subscriptions).toBe('^--!');
      flush();
      expect(recorded).toEqual([['execution', 6]]);
    });
  });

  it('unsubscribes every run at once when the subscriber leaves, and records the partial time once', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const a = cold(' -a-a-a|');
      const b = cold(' --b-b-b|');
      const recorded: number[] = [];
      expectObservable(fanIn([a, b], () => 'd', 'execution', { clock: asyncScheduler, record: (_s, ms) => recorded.push(ms) }), '^--!').toBe('-ab');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('^--!');
      flush();
      expect(recorded).toEqual([3]);
    });
  });

  it('emits done at once for no runs', () => {
    newScheduler().run(({ expectObservable }) => {
      expectObservable(fanIn<string>([], () => 'd', 'execution', { clock: asyncScheduler, record: () => undefined })).toBe('(d|)');
    });
  });

  it('passes an error on and stops the other runs', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold(' -a-#');
      const b = cold(' --b---b|');
      expectObservable(fanIn([a, b], () => 'd', 'execution', { clock: asyncScheduler, record: () => undefined })).toBe('-ab#');
      expectSubscriptions(b.subscriptions).toBe('^--!');
    });
  });
});
