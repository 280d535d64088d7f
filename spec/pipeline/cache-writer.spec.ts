import { asyncScheduler, Observable, of } from 'rxjs';
import { CacheError } from '../../src/errors';
import { createCacheWriter } from '../../src/pipeline/cache-writer';
import { countingScheduler, newScheduler } from '../support/virtual-time';

/** An operation that notes when it starts and when it is torn down, finishing after `ms` (virtual) or never. */
const operation = (name: string, log: string[], ms?: number): Observable<void> => new Observable<void>((subscriber) => {
  log.push(`start ${name}`);
  const timer = ms === undefined ? undefined : asyncScheduler.schedule(() => {
    log.push(`end ${name}`);
    subscriber.next();
    subscriber.complete();
  }, ms);
  return () => {
    timer?.unsubscribe();
    log.push(`teardown ${name}`);
  };
});

describe('createCacheWriter', () => {
  it('runs the operations on one key one after another, in order, and those on other keys at once', () => {
    const log: string[] = [];
    newScheduler().run(({ flush }) => {
      const writer = createCacheWriter({ timeoutMs: 100 });
      writer.run('k', operation('a', log, 3), () => log.push('error'));
      writer.run('k', operation('b', log, 3), () => log.push('error'));
      writer.run('other', operation('c', log, 1), () => log.push('error'));
      expect(writer.pending()).toBe(3);
      flush();
      expect(writer.pending()).toBe(0);
    });
    expect(log).toEqual(['start a', 'start c', 'end c', 'teardown c', 'end a', 'teardown a', 'start b', 'end b', 'teardown b']);
  });

  it('replaces an operation still waiting for its key with the newer one', () => {
    const log: string[] = [];
    newScheduler().run(({ flush }) => {
      const writer = createCacheWriter({ timeoutMs: 100 });
      writer.run('k', operation('a', log, 2), () => undefined);
      writer.run('k', operation('b', log, 2), () => undefined);
      writer.run('k', operation('c', log, 2), () => undefined);
      expect(writer.pending()).toBe(2);
      flush();
    });
    expect(log.filter((line) => line.startsWith('start'))).toEqual(['start a', 'start c']);
  });

  it('abandons an operation that has not answered within timeoutMs, reports it, and starts the next one on the key', () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    newScheduler().run(({ flush }) => {
      const writer = createCacheWriter({ timeoutMs: 5 });
      writer.run('k', operation('stuck', log), (error) => errors.push(error));
      writer.run('k', operation('next', log, 1), (error) => errors.push(error));
      flush();
      expect(writer.pending()).toBe(0);
    });
    expect(log).toEqual(['start stuck', 'teardown stuck', 'start next', 'end next', 'teardown next']);
    expect(errors).toEqual([expect.objectContaining({ _tag: 'CacheError', message: 'cache operation took longer than 5ms; abandoned' })]);
    expect(CacheError.isInstance(errors[0])).toBe(true);
  });

  it('abandons an operation that emitted but has not completed within timeoutMs, so drain (close) cannot hang on it', async () => {
    const errors: unknown[] = [];
    let drained = false;
    newScheduler().run(({ cold, flush }) => {
      const writer = createCacheWriter({ timeoutMs: 5 });
      const hanging = cold('-a');
      writer.run('k', hanging, (error) => errors.push(error));
      void writer.drain().then(() => { drained = true; });
      flush();
      expect(writer.pending()).toBe(0);
    });
    await Promise.resolve();
    expect(drained).toBe(true);
    expect(errors).toEqual([expect.objectContaining({ message: 'cache operation took longer than 5ms; abandoned' })]);
  });

  it('keeps an operation that emits and completes within timeoutMs, reporting nothing', () => {
    const errors: unknown[] = [];
    let nextStartedAt = -1;
    newScheduler().run(({ cold, flush }) => {
      const writer = createCacheWriter({ timeoutMs: 5 });
      writer.run('k', cold('-a--|'), (error) => errors.push(error));
      writer.run('k', new Observable<void>((subscriber) => { nextStartedAt = asyncScheduler.now(); subscriber.complete(); }), (error) => errors.push(error));
      flush();
    });
    expect(errors).toEqual([]);
    expect(nextStartedAt).toBe(4);
  });

  it('arms no timer for an operation that answers synchronously (the memory cache), one for an operation that does not', () => {
    const delays: number[] = [];
    newScheduler().run(({ cold, flush }) => {
      const writer = createCacheWriter({ timeoutMs: 7, scheduler: countingScheduler(delays) });
      writer.run('a', of(undefined), () => undefined);
      writer.run('b', new Observable<void>((subscriber) => subscriber.complete()), () => undefined);
      expect(delays).toEqual([]);
      writer.run('c', cold('--|'), () => undefined);
      flush();
    });
    expect(delays).toEqual([7]);
  });

  it('reports an operation that errors and still starts the next one on the key', () => {
    const log: string[] = [];
    const boom = new Error('down');
    const errors: unknown[] = [];
    newScheduler().run(({ cold, flush }) => {
      const writer = createCacheWriter({ timeoutMs: 100 });
      writer.run('k', cold('-#', {}, boom), (error) => errors.push(error));
      writer.run('k', operation('after', log, 1), (error) => errors.push(error));
      flush();
    });
    expect(errors).toEqual([boom]);
    expect(log).toEqual(['start after', 'end after', 'teardown after']);
  });

  it('drops and reports an operation beyond maxPending', () => {
    const errors: unknown[] = [];
    newScheduler().run(({ flush }) => {
      const writer = createCacheWriter({ timeoutMs: 100, maxPending: 2 });
      writer.run('a', operation('a', [], 3), (error) => errors.push(error));
      writer.run('b', operation('b', [], 3), (error) => errors.push(error));
      writer.run('c', operation('c', [], 3), (error) => errors.push(error));
      expect(writer.pending()).toBe(2);
      flush();
    });
    expect(errors).toEqual([expect.objectContaining({ message: 'more than 2 cache operations pending; one was dropped' })]);
  });

  it('resolves drain once nothing is pending', async () => {
    const writer = createCacheWriter({ timeoutMs: 100 });
    let finish = (): void => undefined;
    writer.run('k', new Observable<void>((subscriber) => { finish = () => subscriber.complete(); }), () => undefined);
    let drained = false;
    const done = writer.drain().then(() => { drained = true; });
    await Promise.resolve();
    expect(drained).toBe(false);
    finish();
    await done;
    expect(drained).toBe(true);
    expect(writer.pending()).toBe(0);
  });
});
