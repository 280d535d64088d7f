/** Health-aware plans, load shedding and the concurrency limit, end to end in virtual time. */
import { throwError } from 'rxjs';
import { ExpertError } from '../../src/errors';
import type { Expert } from '../../src/ports';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import type { CacheEvent, ErrorEvent, PipelineEvent, PlanEvent } from '../../src/events';
import { newScheduler, pendingTimers, record, typesOf } from '../support/virtual-time';

const planOf = (events: PipelineEvent[]) => (events.find((e) => e.type === 'plan') as PlanEvent).plan;
const keyOf = (events: PipelineEvent[]) => (events.find((e) => e.type === 'cache') as CacheEvent).key;
const terminalOf = (events: PipelineEvent[]) => events[events.length - 1];

describe('resilience', () => {
  describe('circuit breaker', () => {
    it('leaves an expert out of the plan once its breaker opens, so the plan and the cache key change', () => {
      newScheduler().run(({ flush }) => {
        const flaky = simulatedExpert({ id: 'flaky', faults: [{ error: 'unavailable' }] });
        const steady = simulatedExpert({ id: 'steady', answer: 'steady answer' });
        const plugin = new DialoguePlugin({
          experts: [flaky, steady], retry: { maxRetries: 0 }, breaker: { failureThreshold: 2, cooldownMs: 1000 }, cache: false,
        });
        const runs = [1, 2, 3].map((n) => {
          const run = record(plugin.process(`question ${n}`));
          flush();
          return run;
        });
        expect(runs.map((run) => planOf(run.events).tasks.map((t) => t.expertId))).toEqual([['flaky', 'steady'], ['flaky', 'steady'], ['steady']]);
        expect(planOf(runs[2].events).id).not.toBe(planOf(runs[0].events).id);
        expect(terminalOf(runs[2].events)).toEqual(expect.objectContaining({ type: 'complete', degraded: false }));
        expect(plugin.expertHealth()).toEqual({ flaky: 'open', steady: 'closed' });
        expect(flaky.stats.started).toBe(2);
      });
    });

    it('changes the cache key when an expert drops out of the plan', () => {
      newScheduler().run(({ flush }) => {
        const plugin = new DialoguePlugin({
          experts: [simulatedExpert({ id: 'flaky', faults: [{ error: 'unavailable' }] }), simulatedExpert({ id: 'steady' })],
          retry: { maxRetries: 0 }, breaker: { failureThreshold: 1, cooldownMs: 1000 },
        });
        const first = record(plugin.process('same'));
        flush();
        const second = record(plugin.process('same'));
        flush();
        expect(keyOf(second.events)).not.toBe(keyOf(first.events));
      });
    });

    it('half-opens after the cool-down with one probe and closes when the probe succeeds', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const healthy = simulatedExpert({ id: 'recovering', firstTokenDelayMs: 5 });
        let calls = 0;
        const recovering: Expert = { ...healthy, stream: (task) => (calls++ === 0 ? throwError(() => new ExpertError('recovering', 'down', { status: 503 })) : healthy.stream(task)) };
        const plugin = new DialoguePlugin({
          experts: [recovering, simulatedExpert({ id: 'steady' })],
          retry: { maxRetries: 0 }, breaker: { failureThreshold: 1, cooldownMs: 100 }, cache: false,
        });
        record(plugin.process('first'));
        flush();
        expect(plugin.expertHealth().recovering).toBe('open');
        const plans: string[][] = [];
        scheduler.schedule(() => {
          const probe = record(plugin.process('probe'));
          const during = record(plugin.process('during the probe'));
          plans.push(planOf(probe.events).tasks.map((t) => t.expertId), planOf(during.events).tasks.map((t) => t.expertId));
        }, 200);
        flush();
        expect(plans).toEqual([['recovering', 'steady'], ['steady']]);
        expect(plugin.expertHealth().recovering).toBe('closed');
      });
    });

    it('sends a no-experts error, not a hang, when every breaker is open', () => {
      newScheduler().run(({ flush }) => {
        const reports: unknown[] = [];
        const plugin = new DialoguePlugin({
          experts: [simulatedExpert({ id: 'down', faults: [{ error: 'network' }] })],
          retry: { maxRetries: 0 }, breaker: { failureThreshold: 1, cooldownMs: 1000 }, onSystemError: (e, c) => reports.push(c.stage),
        });
        record(plugin.process('one'));
        flush();
        const run = record(plugin.process('two'));
        flush();
        expect(typesOf(run.events)).toEqual(['start', 'metrics', 'error']);
        expect((terminalOf(run.events) as ErrorEvent).error).toEqual({ kind: 'no-experts', message: expect.any(String), user: false });
        expect(reports).toContain('routing');
      });
    });
  });

  it('asks half the experts while more requests than shedExpertsAbove are in flight', () => {
    newScheduler().run(({ flush }) => {
      const experts = ['a', 'b', 'c'].map((id) => simulatedExpert({ id, firstTokenDelayMs: 10 }));
      const plugin = new DialoguePlugin({ experts, limits: { shedExpertsAbove: 1 }, cache: false });
      const calm = record(plugin.process('first'));
      const busy = record(plugin.process('second'));
      flush();
      expect(planOf(calm.events).tasks.map((t) => t.expertId)).toEqual(['a', 'b', 'c']);
      expect(planOf(busy.events).tasks.map((t) => t.expertId)).toEqual(['a', 'b']);
    });
  });

  describe('concurrency limit', () => {
    it('runs maxConcurrent at once, queues maxQueued, and refuses the rest at once with overloaded', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const expert = simulatedExpert({ id: 'only', firstTokenDelayMs: 10, answer: 'done' });
        const plugin = new DialoguePlugin({ experts: [expert], limits: { maxConcurrent: 2, maxQueued: 1 }, cache: false });
        const runs = [1, 2, 3, 4].map((n) => record(plugin.process(`q${n}`)));
        expect(expert.stats.active).toBe(2);
        const refused = runs[3];
        expect(typesOf(refused.events)).toEqual(['start', 'plan', 'metrics', 'error']);
        expect((terminalOf(refused.events) as ErrorEvent).error).toEqual({ kind: 'overloaded', message: expect.any(String), user: false });
        flush();
        expect(runs.slice(0, 3).map((run) => terminalOf(run.events).type)).toEqual(['complete', 'complete', 'complete']);
        expect(expert.stats).toEqual(expect.objectContaining({ started: 3, active: 0 }));
        expect(pendingTimers(scheduler)).toBe(0);
      });
    });

    it('a cancelled request leaves the queue and frees its place', () => {
      const scheduler = newScheduler();
      scheduler.run(({ flush }) => {
        const expert = simulatedExpert({ id: 'only', firstTokenDelayMs: 10 });
        const plugin = new DialoguePlugin({ experts: [expert], limits: { maxConcurrent: 1, maxQueued: 1 }, cache: false });
        record(plugin.process('running'));
        const queued = record(plugin.process('queued', { requestId: 'queued' }));
        plugin.cancel('queued');
        const next = record(plugin.process('next'));
        flush();
        expect(terminalOf(queued.events).type).toBe('cancelled');
        expect(terminalOf(next.events).type).toBe('complete');
        expect(expert.stats.started).toBe(2);
      });
    });
  });
});
