/** Failure paths found in review: probes that must be freed, stores that hang, guards that throw, fusions that never end. */
import { asyncScheduler, NEVER, of, throwError, type Observable } from 'rxjs';
import { ExpertError } from '../../src/errors';
import type { ErrorEvent, PipelineEvent, PlanEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { CachedAnswer, Expert, FusionStrategy, OutputGuard, ResponseCache } from '../../src/ports';
import { memoryCache } from '../../src/pipeline/memory-cache';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { defaultGuard } from '../../src/strategies/output-guard';
import { newScheduler, record } from '../support/virtual-time';

const terminalOf = (events: PipelineEvent[]) => events[events.length - 1];
const planned = (events: PipelineEvent[]) =>
  (events.find((e): e is PlanEvent => e.type === 'plan')?.plan.tasks ?? []).map((t) => t.expertId);

/** An expert that fails with a 503 on its `failing`-th call (0-based) only. */
const failingOnce = (id: string, failing: number): Expert => {
  const healthy = simulatedExpert({ id, answer: `${id} answer` });
  let calls = 0;
  return { ...healthy, stream: (task) => (calls++ === failing ? throwError(() => new ExpertError(id, 'down', { status: 503 })) : healthy.stream(task)) };
};

describe('robustness', () => {
  it.each([
    ['a cache hit', 'hit'],
    ['a cancel before fan-out', 'cancel'],
  ] as const)('frees a half-open breaker probe when the probing request ends with %s', (_name, how) => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, flush }) => {
      const inner = memoryCache();
      const slowGet: ResponseCache = { ...inner, get: (key) => (how === 'cancel' ? cold('50ms (a|)', { a: undefined as CachedAnswer | undefined }) : inner.get(key)) };
      const plugin = new DialoguePlugin({
        experts: [simulatedExpert({ id: 'a', answer: 'steady' }), failingOnce('b', how === 'hit' ? 1 : 0)],
        retry: { maxRetries: 0 }, breaker: { failureThreshold: 1, cooldownMs: 100 }, cache: slowGet, timeouts: { cacheMs: 1000 },
      });
      // For the hit: 'probe' is answered (and cached under the plan [a, b]) while b is healthy.
      if (how === 'hit') record(plugin.process('probe'));
      flush();
      record(plugin.process('warm', { requestId: 'warm' }));
      flush();
      expect(plugin.expertHealth().b).toBe('open');
      scheduler.schedule(() => {
        if (how === 'hit') {
          const probe = record(plugin.process('probe'));
          expect(planned(probe.events)).toEqual(['a', 'b']);
          expect(terminalOf(probe.events)).toEqual(expect.objectContaining({ fromCache: true }));
        } else {
          record(plugin.process('probe', { requestId: 'probe' }));
          scheduler.schedule(() => plugin.cancel('probe'), 10);
        }
      }, 200);
      flush();
      scheduler.schedule(() => {
        const later = record(plugin.process('later'));
        expect(planned(later.events)).toEqual(['a', 'b']);
      }, 400);
      flush();
    });
  });

  it('abandons a cache delete that hangs, so close() still resolves', async () => {
    const store: ResponseCache = {
      get: () => of({ text: 42 } as unknown as CachedAnswer), set: () => of(undefined), delete: () => NEVER, close: async () => undefined,
    };
    const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', answer: 'fine' })], cache: store, timeouts: { cacheMs: 5 } });
    await plugin.ask('corrupt');
    await expect(plugin.close()).resolves.toBeUndefined();
  });

  it('queues one write per key however many identical requests complete', () => {
    newScheduler().run(({ cold, flush }) => {
      const sets: string[] = [];
      const slowStore: ResponseCache = { get: () => of(undefined), set: (key) => { sets.push(key); return cold('5ms (a|)', { a: undefined }); }, close: async () => undefined };
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', answer: 'x', firstTokenDelayMs: 1 })], cache: slowStore });
      for (let i = 0; i < 50; i++) record(plugin.process('same'));
      flush();
      expect(sets.length).toBeLessThanOrEqual(2);
    });
  });

  it('turns a guard that throws into a system error event, not an uncaught exception', () => {
    newScheduler().run(({ flush }) => {
      const reports: unknown[] = [];
      const real = defaultGuard();
      const throwing: OutputGuard = { ...real, open: () => ({ push: () => { throw new Error('rule broke'); }, flush: () => '' }) };
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], guard: throwing, onSystemError: (e) => reports.push(e) });
      const run = record(plugin.process('q'));
      flush();
      expect((terminalOf(run.events) as ErrorEvent).error).toEqual(expect.objectContaining({ kind: 'system', user: false }));
      expect(reports).toContainEqual(expect.objectContaining({ message: 'rule broke' }));
      expect(plugin.active()).toEqual([]);
    });
  });

  it('falls back to the best expert when a fusion never ends, after timeouts.totalMs', () => {
    newScheduler().run(({ flush }) => {
      const stuck: FusionStrategy = { id: 'stuck', version: '1', orderSensitive: true, fuse: (): Observable<string> => NEVER };
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', answer: 'only answer', scheduler: asyncScheduler })], fusion: stuck, timeouts: { totalMs: 300 } });
      const run = record(plugin.process('q'));
      flush();
      expect(terminalOf(run.events)).toEqual(expect.objectContaining({ type: 'complete', text: 'only answer', degraded: true }));
      expect(plugin.active()).toEqual([]);
    });
  });
});

