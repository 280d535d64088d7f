/** Shared fixtures for the operator marble tests: experts, deps pieces and the preflight hand-offs. */
import { EMPTY, type Observable } from 'rxjs';
import type { PlannedEvent, RequestEvent, ValidatedEvent } from '../../src/chain-events';
import type { ErrorEvent } from '../../src/events';
import type { Route } from '../../src/plan';
import type { DialogueRequest, Expert, FusionStrategy, OutputGuard, RouteDecision, SystemErrorContext } from '../../src/ports';
import { defaultBottleneckRules } from '../../src/strategies/bottlenecks';
import { createRouteBuilder, registerExperts, type RegisteredExpert } from '../../src/strategies/route-builder';
import type { RequestLimits } from '../../src/strategies/validate-request';

/** An expert that is never asked to stream in these tests. */
export const anExpert = (id: string, params?: Record<string, unknown>): Expert =>
  ({ id, model: `model-${id}`, version: '1', ...(params === undefined ? {} : { params }), stream: (): Observable<string> => EMPTY });

/** Experts by id, with their params hash, as the plugin registers them. */
export const registry = (...experts: Expert[]): ReadonlyMap<string, RegisteredExpert> => registerExperts(experts);

/** A fusion strategy that is never run in these tests. */
export const aFusion = (id = 'best', version = '1', orderSensitive = true): FusionStrategy =>
  ({ id, version, orderSensitive, mode: 'select', fuse: () => EMPTY });

/** A guard that changes nothing; its version goes into the cache key. */
export const aGuard = (version = 'guard-1'): OutputGuard =>
  ({ id: 'test-guard', version, open: () => ({ push: (text) => text, flush: () => '' }), apply: (text) => text });

export const limits: RequestLimits = { maxPromptChars: 100, maxMessages: 20, maxScopeChars: 32 };

export const bottlenecks = defaultBottleneckRules(100);

/** A `reportSystemError` that remembers its calls. */
export const aReporter = () => jest.fn<void, [unknown, SystemErrorContext]>();

/** The generic messages of the system error kinds. */
export const GENERIC = {
  system: 'The request could not be completed. Please try again later.',
  overloaded: 'The service is busy. Please try again shortly.',
  'no-experts': 'No experts are available for this request right now.',
} as const;

/** The `error` event of a system failure of `kind`, as the caller sees it. */
export const systemError = (kind: keyof typeof GENERIC, requestId = 'r1'): ErrorEvent =>
  ({ type: 'error', requestId, error: { kind, message: GENERIC[kind], user: false } });

/** A request as the caller gave it: what `validate` consumes. */
export const requestEvent = (input: unknown = 'Hello there', options: unknown = undefined, requestId = 'r1', at = 0): RequestEvent =>
  ({ type: 'request', requestId, at, input, options });

/** A checked request. */
export const aRequest = (request: Partial<DialogueRequest> = {}): DialogueRequest => {
  const prompt = request.prompt ?? 'Hello there';
  return { requestId: 'r1', prompt, messages: [{ role: 'user', content: prompt }], ...request };
};

/** A request that went through validation: what `plan` consumes. */
export const validatedEvent = (request: Partial<DialogueRequest> = {}, injection?: readonly string[]): ValidatedEvent => {
  const checked = aRequest(request);
  return injection === undefined
    ? { type: 'validated', requestId: checked.requestId, request: checked }
    : { type: 'validated', requestId: checked.requestId, request: checked, injection };
};

export const defaultExperts = registry(anExpert('a'), anExpert('b', { temperature: 0.2 }));

export const defaultFusion = aFusion();

/** The route a fresh builder gives for `decision` over experts a and b, fusion best@1 (plan ids are deterministic). */
export const routeFor = (decision: RouteDecision = { intent: 'chat', expertIds: ['a', 'b'] }): Route =>
  createRouteBuilder(defaultExperts, defaultFusion)(decision);

/** A request that went through validation and planning (experts a and b, fusion best@1): what `cacheLookup` consumes. */
export const plannedEvent = (decision?: RouteDecision, request: Partial<DialogueRequest> = {}): PlannedEvent => {
  const checked = aRequest(request);
  return { type: 'planned', requestId: checked.requestId, request: checked, route: routeFor(decision) };
};
