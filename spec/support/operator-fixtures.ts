/** Shared fixtures for the operator marble tests: jobs, experts, deps pieces and one event of every kind. */
import { EMPTY, type Observable } from 'rxjs';
import type { PipelineEvent } from '../../src/events';
import { hashTaskParams } from '../../src/pipeline/cache-key';
import type { Limits, RegisteredExpert, SystemErrorContext, Timeouts } from '../../src/pipeline/deps';
import { createJob, type Job, type RawRequest } from '../../src/pipeline/job';
import { defaultBottleneckRules } from '../../src/metrics';
import { MetricsRecorder } from '../../src/pipeline/metrics-recorder';
import { createRouteBuilder } from '../../src/pipeline/route-builder';
import { handoff, type HandoffType, type StageEvent } from '../../src/pipeline/stage-events';
import type { DialogueRequest, Expert, FusionStrategy, OutputGuard, RouteDecision } from '../../src/ports';

/** An expert that is never asked to stream in these tests. */
export const anExpert = (id: string, params?: Record<string, unknown>): Expert =>
  ({ id, model: `model-${id}`, version: '1', ...(params === undefined ? {} : { params }), stream: (): Observable<string> => EMPTY });

/** Experts by id, with their params hash, as the plugin registers them. */
export const registry = (...experts: Expert[]): ReadonlyMap<string, RegisteredExpert> =>
  new Map(experts.map((expert) => [expert.id, { expert, paramsHash: hashTaskParams(expert.params, expert.promptTemplate) }]));

/** A fusion strategy that is never run in these tests. */
export const aFusion = (id = 'best', version = '1', orderSensitive = true): FusionStrategy =>
  ({ id, version, orderSensitive, mode: 'select', fuse: () => EMPTY });

/** A guard that changes nothing; its version goes into the cache key. */
export const aGuard = (version = 'guard-1'): OutputGuard =>
  ({ id: 'test-guard', version, open: () => ({ push: (text) => text, flush: () => '' }), apply: (text) => text });

export const limits: Limits = { maxPromptChars: 100, maxScopeChars: 32, maxConcurrent: 4, maxQueued: 8, shedExpertsAbove: Infinity };

export const timeouts = (cacheMs = 5): Timeouts => ({ firstTokenMs: 1000, idleMs: 1000, totalMs: 10_000, cacheMs });

export const bottlenecks = defaultBottleneckRules(100);

/** A `reportSystemError` that remembers its calls. */
export const aReporter = () => jest.fn<void, [unknown, SystemErrorContext]>();

/** A job as `process` creates it, before validation. */
export const aJob = (requestId = 'r1', raw: RawRequest = { prompt: 'Hello there', options: undefined }, startedAt = 0, onRelease?: () => void): Job =>
  createJob(requestId, raw, startedAt, onRelease);

/** A job that went through validation. */
export const validatedJob = (request: Partial<DialogueRequest> = {}): Job => {
  const job = aJob(request.requestId ?? 'r1', { prompt: request.prompt ?? 'Hello there', options: undefined });
  job.request = { requestId: job.requestId, prompt: 'Hello there', ...request };
  return job;
};

export const defaultExperts = registry(anExpert('a'), anExpert('b', { temperature: 0.2 }));

/** A job that went through validation and planning (experts a and b, fusion best@1). */
export const plannedJob = (decision: RouteDecision = { intent: 'chat', expertIds: ['a', 'b'] }, request: Partial<DialogueRequest> = {}): Job => {
  const job = validatedJob(request);
  job.route = createRouteBuilder(defaultExperts, aFusion())(decision);
  return job;
};

/**
 * One event of every kind for `job`, keyed by a marble letter:
 * public events s p c t r x u m C E X, hand-offs q v P e A a g.
 */
export const everyKind = (job: Job): Record<string, StageEvent> => {
  const requestId = job.requestId;
  const publicEvents: Record<string, PipelineEvent> = {
    s: { type: 'start', requestId, at: 0 },
    p: { type: 'plan', requestId, plan: { id: 'plan-1', intent: 'chat', tasks: [], fusion: { id: 'best', version: '1' } } },
    c: { type: 'cache', requestId, hit: false, key: 'k' },
    t: { type: 'token', requestId, source: 'a', text: ' hi' },
    r: { type: 'retry', requestId, source: 'a', attempt: 1, maxRetries: 2, delayMs: 10, reason: 'HTTP 503', discard: true },
    x: { type: 'expert', requestId, expertId: 'a', outcome: 'ok', ms: 3, tokens: 1 },
    u: { type: 'status', requestId, message: 'Retry 1/2 in 10ms' },
    m: { type: 'metrics', requestId, metrics: new MetricsRecorder(0).snapshot(0, bottlenecks) },
    C: { type: 'complete', requestId, text: 'hi', fromCache: false, degraded: false },
    E: { type: 'error', requestId, error: { kind: 'system', message: 'nope', user: false } },
    X: { type: 'cancelled', requestId, reason: 'cancelled' },
  };
  const handoffs: Record<string, HandoffType> = {
    q: 'request', v: 'validated', P: 'planned', e: 'execute', A: 'answers', a: 'answer', g: 'guarded',
  };
  const events: Record<string, StageEvent> = { ...publicEvents };
  for (const [letter, type] of Object.entries(handoffs)) events[letter] = handoff(type, job);
  return events;
};

/** The marble letters of `everyKind`, minus the given ones, as one frame each. */
export const lettersExcept = (...owned: string[]): string =>
  'spctrxumCEXqvPeAag'.split('').filter((letter) => !owned.includes(letter)).join('');
