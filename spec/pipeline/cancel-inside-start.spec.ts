/**
 * A cancel that lands while the experts are still being started (a fast expert answers
 * synchronously and the caller cancels on its `expert` event, before the next expert is even
 * subscribed) must still tear every expert down: none is left running after `cancelled`.
 */
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import type { PipelineEvent } from '../../src/events';
import type { ResponseCache } from '../../src/ports';
import { newScheduler } from '../support/virtual-time';
import { memoryCache } from '../../src/pipeline/memory-cache';
import { defer, delay, mergeMap } from 'rxjs';

const setup = () => {
  const swift = simulatedExpert({ id: 'swift', answer: 'quick answer' });
  const stuck = simulatedExpert({ id: 'stuck', faults: [{ error: 'stall' }] });
  return { swift, stuck };
};

describe('a cancel inside the synchronous start of the experts', () => {
  it.each([
    ['a synchronous cache', (): ResponseCache => memoryCache()],
    ['an asynchronous cache', (): ResponseCache => {
      const inner = memoryCache();
      return { ...inner, get: (key) => inner.get(key).pipe(delay(1)) };
    }],
  ])('tears down the expert started after the cancel, with %s', (_name, cache) => {
    newScheduler().run(({ flush }) => {
      const { swift, stuck } = setup();
      const controller = new AbortController();
      const plugin = new DialoguePlugin({ experts: [swift, stuck], cache: cache() });
      const events: PipelineEvent[] = [];
      plugin.process('What is a monad?', { signal: controller.signal }).subscribe((event) => {
        events.push(event);
        if (event.type === 'expert' && event.expertId === 'swift') controller.abort();
      });
      flush();
      expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'cancelled', reason: 'aborted' }));
      expect(stuck.stats).toEqual(expect.objectContaining({ active: 0 }));
      expect(stuck.stats.started).toBe(stuck.stats.cancelled);
      expect(plugin.active()).toEqual([]);
    });
  });

  it('tears down the expert started after the cancel, with a cache that answers in a later microtask (as a database does)', async () => {
    const { swift, stuck } = setup();
    const controller = new AbortController();
    const inner = memoryCache();
    const cache: ResponseCache = { ...inner, get: (key) => defer(() => Promise.resolve(undefined)).pipe(mergeMap(() => inner.get(key))) };
    const plugin = new DialoguePlugin({ experts: [swift, stuck], cache });
    const events = await new Promise<PipelineEvent[]>((resolve) => {
      const seen: PipelineEvent[] = [];
      plugin.process('What is a monad?', { signal: controller.signal }).subscribe({
        next: (event) => {
          seen.push(event);
          if (event.type === 'expert' && event.expertId === 'swift') controller.abort();
        },
        complete: () => resolve(seen),
      });
    });
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'cancelled', reason: 'aborted' }));
    expect(stuck.stats).toEqual({ started: 1, active: 0, completed: 0, failed: 0, cancelled: 1 });
    await plugin.close();
  });

  it('leaves nothing running when a plugin.cancel comes from the same place', () => {
    newScheduler().run(({ flush }) => {
      const { swift, stuck } = setup();
      const plugin = new DialoguePlugin({ experts: [swift, stuck] });
      const events: PipelineEvent[] = [];
      plugin.process('What is a monad?', { requestId: 'r1' }).subscribe((event) => {
        events.push(event);
        if (event.type === 'expert') plugin.cancel('r1');
      });
      flush();
      expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'cancelled', reason: 'cancelled' }));
      expect(stuck.stats.active).toBe(0);
    });
  });
});
