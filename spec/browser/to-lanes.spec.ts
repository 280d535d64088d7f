import { lastValueFrom } from 'rxjs';
import { EMPTY_LANES, type ExpertLane, type LanesSnapshot } from '../../src/browser/fold-lanes';
import { toLanes } from '../../src/browser/to-lanes';
import type { PipelineEvent } from '../../src/events';
import type { PipelineMetrics } from '../../src/metrics';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { newScheduler } from '../support/virtual-time';

const R = 'r1';
const PLAN = {
  id: 'p1', intent: 'general', fusion: { id: 'sections', version: '1' },
  tasks: [{ expertId: 'a', model: 'm-a', version: '1' }, { expertId: 'b', model: 'm-b', version: '2' }],
};
const start: PipelineEvent = { type: 'start', requestId: R, at: 0 };
const plan: PipelineEvent = { type: 'plan', requestId: R, plan: PLAN };
const miss: PipelineEvent = { type: 'cache', requestId: R, hit: false, key: 'k' };
const hit: PipelineEvent = { type: 'cache', requestId: R, hit: true, key: 'k' };
const token = (source: string, text: string): PipelineEvent => ({ type: 'token', requestId: R, source, text });
const retry = (source: string, discard: boolean): PipelineEvent =>
  ({ type: 'retry', requestId: R, source, attempt: 1, maxRetries: 2, delayMs: 180, reason: 'HTTP 503', discard });
const ended = (expertId: string, outcome: 'ok' | 'failed' | 'cancelled', error?: string): PipelineEvent =>
  ({ type: 'expert', requestId: R, expertId, outcome, ms: 40, tokens: 2, ...(error === undefined ? {} : { error }) });
const complete = (text: string, degraded = false, fromCache = false): PipelineEvent =>
  ({ type: 'complete', requestId: R, text, fromCache, degraded });
const metricsOf = (outcomes: Record<string, 'ok' | 'failed' | 'cancelled'>): PipelineMetrics => ({
  total: 50, stages: {}, ttft: 5, cacheHit: false, degraded: false, bottlenecks: [],
  experts: Object.fromEntries(Object.entries(outcomes).map(([id, outcome]) => [id, { ttft: 5, ms: 40, tokens: 2, attempts: 1, outcome }])),
});

const lane = (expertId: string, change: Partial<ExpertLane> = {}): ExpertLane => ({
  expertId, model: expertId === 'a' ? 'm-a' : 'm-b', version: expertId === 'a' ? '1' : '2', status: 'waiting', text: '', ...change,
});
const snapshot = (change: Partial<LanesSnapshot>): LanesSnapshot => ({ ...EMPTY_LANES, requestId: R, ...change });
const planned = (a: Partial<ExpertLane> = {}, b: Partial<ExpertLane> = {}, change: Partial<LanesSnapshot> = {}): LanesSnapshot =>
  snapshot({ plan: PLAN, lanes: [lane('a', a), lane('b', b)], ...change });

describe('toLanes', () => {
  it('folds expert tokens into lanes in plan order and fusion tokens into the answer, one snapshot per event', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const events$ = cold('s-p-a-b-c-x-y-f-g-z|', {
        s: start, p: plan, a: token('b', 'Hi'), b: token('a', 'One'), c: token('a', ' two'),
        x: ended('a', 'ok'), y: ended('b', 'ok'), f: token('fusion', 'One'), g: token('fusion', ' two'), z: complete('One two'),
      });
      const done = { status: 'ok' as const, ms: 40, tokens: 2 };
      expectObservable(toLanes(events$)).toBe('s-p-a-b-c-x-y-f-g-z|', {
        s: snapshot({}),
        p: planned(),
        a: planned({}, { status: 'streaming', text: 'Hi' }),
        b: planned({ status: 'streaming', text: 'One' }, { status: 'streaming', text: 'Hi' }),
        c: planned({ status: 'streaming', text: 'One two' }, { status: 'streaming', text: 'Hi' }),
        x: planned({ text: 'One two', ...done }, { status: 'streaming', text: 'Hi' }),
        y: planned({ text: 'One two', ...done }, { text: 'Hi', ...done }),
        f: planned({ text: 'One two', ...done }, { text: 'Hi', ...done }, { answer: 'One' }),
        g: planned({ text: 'One two', ...done }, { text: 'Hi', ...done }, { answer: 'One two' }),
        z: planned({ text: 'One two', ...done }, { text: 'Hi', ...done }, { answer: 'One two', status: 'complete' }),
      });
      expectSubscriptions(events$.subscriptions).toBe('^------------------!');
    });
  });

  it('drops a source\'s partial text on a retry with discard, and keeps it on one without', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const events$ = cold('p-a-r-b-s-f-d-g', {
        p: plan, a: token('a', 'half'), r: retry('a', true), b: token('b', 'kept'), s: retry('b', false),
        f: token('fusion', 'stale'), d: retry('fusion', true), g: token('fusion', 'fresh'),
      });
      const retried = { attempt: 1, maxRetries: 2, delayMs: 180, reason: 'HTTP 503' };
      expectObservable(toLanes(events$)).toBe('p-a-r-b-s-f-d-g', {
        p: planned(),
        a: planned({ status: 'streaming', text: 'half' }),
        r: planned({ status: 'retrying', text: '', retry: retried }),
        b: planned({ status: 'retrying', text: '', retry: retried }, { status: 'streaming', text: 'kept' }),
        s: planned({ status: 'retrying', text: '', retry: retried }, { status: 'retrying', text: 'kept', retry: retried }),
        f: planned({ status: 'retrying', text: '', retry: retried }, { status: 'retrying', text: 'kept', retry: retried }, { answer: 'stale' }),
        d: planned({ status: 'retrying', text: '', retry: retried }, { status: 'retrying', text: 'kept', retry: retried }, { answer: '' }),
        g: planned({ status: 'retrying', text: '', retry: retried }, { status: 'retrying', text: 'kept', retry: retried }, { answer: 'fresh' }),
      });
    });
  });

  it('replaces the streamed fusion text with complete.text when the answer is degraded', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const events$ = cold('p-a-x-f-y-z|', {
        p: plan, a: token('a', 'Alpha'), x: ended('a', 'ok'), f: token('fusion', 'Half a fus'),
        y: ended('b', 'failed', 'HTTP 503'), z: complete('Alpha', true),
      });
      const a = { status: 'ok' as const, text: 'Alpha', ms: 40, tokens: 2 };
      const b = { status: 'failed' as const, ms: 40, tokens: 2, error: 'HTTP 503' };
      expectObservable(toLanes(events$)).toBe('p-a-x-f-y-z|', {
        p: planned(),
        a: planned({ status: 'streaming', text: 'Alpha' }),
        x: planned(a),
        f: planned(a, {}, { answer: 'Half a fus' }),
        y: planned(a, b, { answer: 'Half a fus' }),
        z: planned(a, b, { answer: 'Alpha', degraded: true, status: 'complete' }),
      });
    });
  });

  it('shows a cache hit: the lanes skipped, the answer from cache tokens, fromCache', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const events$ = cold('p-h-a-b-z|', { p: plan, h: hit, a: token('cache', 'From '), b: token('cache', 'cache'), z: complete('From cache', false, true) });
      const skipped = { status: 'skipped' as const };
      expectObservable(toLanes(events$)).toBe('p-h-a-b-z|', {
        p: planned(),
        h: planned(skipped, skipped, { fromCache: true }),
        a: planned(skipped, skipped, { fromCache: true, answer: 'From ' }),
        b: planned(skipped, skipped, { fromCache: true, answer: 'From cache' }),
        z: planned(skipped, skipped, { fromCache: true, answer: 'From cache', status: 'complete' }),
      });
    });
  });

  it('ends the lanes still running at cancellation with the outcome from metrics, and keeps the reason', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const events$ = cold<PipelineEvent>('p-a-m-c|', { p: plan, a: token('a', 'Par'), m: { type: 'metrics', requestId: R, metrics: metricsOf({ a: 'cancelled' }) }, c: { type: 'cancelled', requestId: R, reason: 'Stop' } });
      const metrics = metricsOf({ a: 'cancelled' });
      expectObservable(toLanes(events$)).toBe('p-a-m-c|', {
        p: planned(),
        a: planned({ status: 'streaming', text: 'Par' }),
        m: planned({ status: 'cancelled', text: 'Par' }, {}, { metrics }),
        c: planned({ status: 'cancelled', text: 'Par' }, { status: 'cancelled' }, { metrics, status: 'cancelled', cancelReason: 'Stop' }),
      });
    });
  });

  it('keeps the public error of an error event and ends the running lanes', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const error = { kind: 'system' as const, message: 'All experts failed', user: false };
      const events$ = cold<PipelineEvent>('p-a-e|', { p: plan, a: ended('a', 'failed', 'HTTP 500'), e: { type: 'error', requestId: R, error } });
      const a = { status: 'failed' as const, ms: 40, tokens: 2, error: 'HTTP 500' };
      expectObservable(toLanes(events$)).toBe('p-a-e|', {
        p: planned(),
        a: planned(a),
        e: planned(a, { status: 'cancelled' }, { status: 'error', error }),
      });
    });
  });

  it('emits nothing for events that change nothing: a cache miss, anything after the terminal event', () => {
    newScheduler().run(({ cold, expectObservable }) => {
      const events$ = cold('p-m-z-a|', { p: plan, m: miss, z: complete('x'), a: token('a', 'late') });
      expectObservable(toLanes(events$)).toBe('p---z--|', { p: planned(), z: planned({ status: 'cancelled' }, { status: 'cancelled' }, { answer: 'x', status: 'complete' }) });
    });
  });

  it('passes an error of the event stream on, and unsubscribes from it when unsubscribed', () => {
    newScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing$ = cold('p-#', { p: plan }, new Error('network'));
      expectObservable(toLanes(failing$)).toBe('p-#', { p: planned() }, new Error('network'));
      const endless$ = cold('p-a-a-a-a', { p: plan, a: token('a', '.') });
      expectObservable(toLanes(endless$), '^--!').toBe('p-a', { p: planned(), a: planned({ status: 'streaming', text: '.' }) });
      expectSubscriptions(endless$.subscriptions).toBe('^--!');
    });
  });

  it('emits frozen snapshots that share the lanes an event did not touch', () => {
    const seen: LanesSnapshot[] = [];
    newScheduler().run(({ cold }) => {
      toLanes(cold('p-a-b', { p: plan, a: token('a', 'x'), b: token('fusion', 'y') })).subscribe((state) => seen.push(state));
    });
    const [afterPlan, afterA, afterFusion] = seen;
    expect(Object.isFrozen(afterA)).toBe(true);
    expect(Object.isFrozen(afterA.lanes)).toBe(true);
    expect(Object.isFrozen(afterA.lanes[0])).toBe(true);
    expect(() => { (afterA as { answer: string }).answer = 'changed'; }).toThrow(TypeError);
    expect(afterA.lanes[1]).toBe(afterPlan.lanes[1]); // lane b untouched by a's token
    expect(afterFusion.lanes).toBe(afterA.lanes); // a fusion token touches no lane
  });

  it('folds a real request into its final state: every lane ok with its text, the answer as ask() gives it', async () => {
    const experts = ['swift', 'deep'].map((id) => simulatedExpert({ id }));
    const plugin = new DialoguePlugin({ experts, cache: false });
    try {
      const last = await lastValueFrom(toLanes(plugin.process('What is a monad?', { requestId: 'r9' })));
      expect(last).toMatchObject({ requestId: 'r9', status: 'complete', degraded: false, fromCache: false });
      expect(last.lanes.map((l) => [l.expertId, l.status])).toEqual([['swift', 'ok'], ['deep', 'ok']]);
      expect(last.lanes.every((l) => l.text.length > 0)).toBe(true);
      expect(last.answer).toBe(await plugin.ask('What is a monad?'));
      expect(last.lanes.map((l) => l.text)).toContain(last.answer); // 'best' picks one expert's answer
    } finally {
      await plugin.close();
    }
  });
});
