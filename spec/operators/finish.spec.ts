import { asyncScheduler, of, tap, type Observable } from 'rxjs';
import type { ErrorEvent, MetricsEvent, PipelineEvent } from '../../src/events';
import { finish, type FinishDeps } from '../../src/operators/finish';
import type { Job } from '../../src/pipeline/job';
import type { PipelineMetrics } from '../../src/metrics';
import { handoff, type StageEvent } from '../../src/pipeline/stage-events';
import { aJob, aReporter, bottlenecks, everyKind, plannedJob } from '../support/operator-fixtures';
import { newScheduler } from '../support/virtual-time';

const deps = (overrides: Partial<FinishDeps> = {}): FinishDeps =>
  ({ clock: asyncScheduler, bottlenecks, reportSystemError: aReporter(), ...overrides });

const metricsEvent = (job: Job, figures: Partial<PipelineMetrics>): MetricsEvent => ({
  type: 'metrics', requestId: job.requestId,
  metrics: { total: 0, stages: {}, ttft: null, experts: {}, cacheHit: false, degraded: false, bottlenecks: [], ...figures },
});

const systemError = (job: Job): ErrorEvent => ({
  type: 'error', requestId: job.requestId,
  error: { kind: 'system', message: 'The request could not be completed. Please try again later.', user: false },
});

describe('finish', () => {
  it('passes events on, then emits metrics, the terminal and completes at the terminal', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const job = aJob();
      const ev = everyKind(job);
      const source = cold('-s-t--C-u-', ev);
      const expected = '   -s-t--(mC|)';
      expectObservable(source.pipe(finish(job, deps()))).toBe(expected, { ...ev, m: metricsEvent(job, { total: 6, ttft: 3 }) });
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it.each([['complete', 'C'], ['error', 'E'], ['cancelled', 'X']])('ends with metrics then the same %s event it received', (_kind, letter) => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = aJob();
      const ev = everyKind(job);
      const out: PipelineEvent[] = [];
      const result = cold(`--${letter}`, ev).pipe(finish(job, deps()), tap((event) => out.push(event)));
      expectObservable(result).toBe(`--(m${letter}|)`, { ...ev, m: metricsEvent(job, { total: 2 }) });
      flush();
      expect(out[1]).toBe(ev[letter]);
    });
  });

  it('releases the job before it emits metrics and the terminal', () => {
    newScheduler().run(({ cold, flush }) => {
      const log: string[] = [];
      const job = aJob('r1', { prompt: 'Hi', options: undefined }, 0, () => log.push('release'));
      cold('-s-C', everyKind(job)).pipe(finish(job, deps())).subscribe({
        next: (event) => log.push(event.type),
        complete: () => log.push('|'),
      });
      flush();
      expect(log).toEqual(['start', 'release', 'metrics', 'complete', '|']);
    });
  });

  it('puts the job figures, measured on the clock, into the metrics event', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = aJob('r1', { prompt: 'Hi', options: undefined }, 1);
      job.metrics.stage('validation', 0);
      job.metrics.stage('cache', 3);
      job.metrics.cacheHit = true;
      const ev = everyKind(job);
      const source = cold('----t-t---C', ev);
      const expected = '   ----t-t---(mC|)';
      expectObservable(source.pipe(finish(job, deps({ bottlenecks: { ...bottlenecks, budgets: { cache: 2 } } })))).toBe(expected, {
        ...ev, m: metricsEvent(job, { total: 9, stages: { validation: 0, cache: 3 }, ttft: 3, cacheHit: true, bottlenecks: ['cache'] }),
      });
    });
  });

  it('records ttft at the first token only', () => {
    newScheduler().run(({ cold, flush }) => {
      const job = aJob();
      cold('--s--t-t-t-C', everyKind(job)).pipe(finish(job, deps())).subscribe();
      flush();
      expect(job.metrics.firstTokenAt).toBe(5);
    });
  });

  it('reports a null ttft when no token reached the caller', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const job = aJob();
      const ev = everyKind(job);
      expectObservable(cold('-s-u-E', ev).pipe(finish(job, deps()))).toBe('-s-u-(mE|)', { ...ev, m: metricsEvent(job, { total: 5 }) });
    });
  });

  it('drops every event after the terminal and unsubscribes the source at it', () => {
    newScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const job = aJob();
      const ev = everyKind(job);
      const source = hot('-s-C-t-u-E-q-|', ev);
      expectObservable(source.pipe(finish(job, deps()))).toBe('-s-(mC|)', { ...ev, m: metricsEvent(job, { total: 3 }) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('drops and reports nothing after the terminal of a synchronous source, its end included', () => {
    newScheduler().run(({ expectObservable, flush }) => {
      const job = aJob();
      const ev = everyKind(job);
      const d = deps();
      const source = of<StageEvent[]>(ev.s, ev.C, ev.t, ev.q, ev.E);
      expectObservable(source.pipe(finish(job, d))).toBe('(smC|)', { ...ev, m: metricsEvent(job, {}) });
      flush();
      expect(d.reportSystemError).not.toHaveBeenCalled();
      expect(job.metrics.firstTokenAt).toBeUndefined();
    });
  });

  it('turns a source error into a reported system error event, after metrics', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = plannedJob();
      const boom = new Error('operator crashed');
      const d = deps();
      const ev = everyKind(job);
      const source = cold('-s-#', ev, boom);
      expectObservable(source.pipe(finish(job, d))).toBe('-s-(me|)', { ...ev, m: metricsEvent(job, { total: 3 }), e: systemError(job) });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(boom, { requestId: 'r1', stage: 'pipeline', plan: job.route?.plan });
    });
  });

  it('turns a source that completes with no terminal into a reported system error event', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = aJob();
      const d = deps();
      const ev = everyKind(job);
      expectObservable(cold('-s-t-|', ev).pipe(finish(job, d))).toBe('-s-t-(me|)', { ...ev, m: metricsEvent(job, { total: 5, ttft: 3 }), e: systemError(job) });
      flush();
      expect(d.reportSystemError).toHaveBeenCalledTimes(1);
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ message: 'the pipeline ended without a terminal event' }), expect.objectContaining({ requestId: 'r1', stage: 'pipeline' }));
    });
  });

  it('turns a hand-off that reaches it into a reported system error event and stops the source', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = aJob();
      const d = deps();
      const ev = everyKind(job);
      const source = cold('-s-e---C', { ...ev, e: handoff('execute', job) });
      expectObservable(source.pipe(finish(job, d))).toBe('-s-(mE|)', { ...ev, m: metricsEvent(job, { total: 3 }), E: systemError(job) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
      flush();
      expect(d.reportSystemError).toHaveBeenCalledWith(
        expect.objectContaining({ message: expect.stringContaining('"execute"') }), expect.objectContaining({ stage: 'pipeline' }));
    });
  });

  it('emits nothing more and reports nothing when unsubscribed before a terminal', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const job = aJob();
      const d = deps();
      const ev = everyKind(job);
      const source = cold('-s-----C', ev);
      const unsub = '      ^--!';
      expectObservable(source.pipe(finish(job, d)), unsub).toBe('-s-', ev);
      expectSubscriptions(source.subscriptions).toBe('^--!');
      flush();
      expect(d.reportSystemError).not.toHaveBeenCalled();
    });
  });

  it('passes every non-terminal public event through as the same object', () => {
    newScheduler().run(({ cold, expectObservable, flush }) => {
      const job = aJob();
      const ev = everyKind(job);
      const letters = 'spctrxu';
      const source: Observable<StageEvent> = cold(`${letters}C`, ev);
      const seen: PipelineEvent[] = [];
      const m = metricsEvent(job, { total: 7, ttft: 3 });
      expectObservable(source.pipe(finish(job, deps()), tap((event) => seen.push(event)))).toBe(`${letters}(mC|)`, { ...ev, m });
      flush();
      letters.split('').forEach((letter, i) => expect(seen[i]).toBe(ev[letter]));
    });
  });
});
