/**
 * The plugin's tracing (option `tracing`): wraps each request's events in a `dialogue.request`
 * span (request-span.ts), takes the stage timings from `finish`, and starts a `chat <model>`
 * span per expert attempt (GenAI semantic conventions) as a child of its request's span. Built
 * only when tracing is on: with it off the plugin wires none of this, so no span is created and
 * no event is looked at.
 */
import { context as otelContext, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Tracer } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import type { TimingEvent } from '../chain-events';
import type { PipelineEvent } from '../events';
import type { AttemptEnd, AttemptTrace, AttemptTracer, Clock, Expert, ExpertTask } from '../ports';
import { describeFailure } from '../strategies/describe-failure';
import { RequestSpan } from './request-span';

/** The `tracing` option: `true` uses `trace.getTracer('dialogue-pipeline')` (the global provider); or pass a tracer. */
export type TracingOption = boolean | { readonly tracer?: Tracer };

/** The tracer a `tracing` option asks for; undefined when tracing is off (the default). */
export const resolveTracer = (option: TracingOption | undefined): Tracer | undefined =>
  (option === undefined || option === false ? undefined
    : option === true || option.tracer === undefined ? trace.getTracer('dialogue-pipeline') : option.tracer);

/** What the plugin wires in when tracing is on. */
export interface RequestTracing {
  /** The request's events inside its span; the span ends on the terminal event's teardown or an unsubscribe. */
  traced(requestId: string, parent: Context | undefined, tenant: string | undefined, events$: Observable<PipelineEvent>): Observable<PipelineEvent>;
  /** For `finish`: a stage's timing fact. */
  readonly onTiming: (event: TimingEvent) => void;
  /** For the experts' runs: one span per attempt. */
  readonly traceAttempt: AttemptTracer;
}

/**
 * Tracing with `tracer`, times from `clock`; `redact` runs over request ids before they become
 * attributes (a caller may use a key-shaped id; spans, like logs, never carry one).
 */
export const createRequestTracing = (tracer: Tracer, clock: Clock, redact: (text: string) => string = (text) => text): RequestTracing => {
  const live = new Map<string, RequestSpan>();
  const traced: RequestTracing['traced'] = (requestId, parent, tenant, events$) => new Observable<PipelineEvent>((subscriber) => {
    const request = new RequestSpan(tracer, clock, redact(requestId), parent ?? otelContext.active(), tenant);
    // A duplicate id is refused without running: the request in flight keeps its attempts' parent.
    if (!live.has(requestId)) live.set(requestId, request);
    const end = (): void => {
      if (live.get(requestId) === request) live.delete(requestId);
      request.end();
    };
    const inner = events$.subscribe({
      next: (event) => {
        if (event.type !== 'token') request.note(event);
        subscriber.next(event);
      },
      error: (error: unknown) => { end(); subscriber.error(error); },
      complete: () => { end(); subscriber.complete(); },
    });
    return () => { inner.unsubscribe(); end(); };
  });
  const onTiming = (event: TimingEvent): void => live.get(event.requestId)?.timing(event);
  const traceAttempt: AttemptTracer = (expert, task, tokens) =>
    attemptTrace(tracer, clock, expert, task, tokens, live.get(task.requestId)?.context ?? otelContext.active(), redact);
  return { traced, onTiming, traceAttempt };
};

const attemptAttributes = (expert: Expert, task: ExpertTask, redact: (text: string) => string): Attributes => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.request.model': expert.model,
  ...(expert.provider === undefined ? {} : { 'gen_ai.provider.name': expert.provider, 'gen_ai.system': expert.provider }),
  'dialogue.request_id': redact(task.requestId),
  'dialogue.expert.id': expert.id,
  'dialogue.attempt': task.attempt,
});

/** Starts a `chat <model>` span for one attempt; its task carries the span's context and records the provider's usage. */
const attemptTrace = (
  tracer: Tracer, clock: Clock, expert: Expert, task: ExpertTask, tokens: () => number, parent: Context, redact: (text: string) => string,
): AttemptTrace => {
  const span = tracer.startSpan(`chat ${expert.model}`, { kind: SpanKind.CLIENT, startTime: clock.now(), attributes: attemptAttributes(expert, task, redact) }, parent);
  let usage: { readonly inputTokens: number; readonly outputTokens: number } | undefined;
  let ended = false;
  const traceContext = trace.setSpan(parent, span);
  const reportUsage = (reported: { readonly inputTokens: number; readonly outputTokens: number }): void => {
    usage = reported;
    task.reportUsage?.(reported);
  };
  const end = (how: AttemptEnd): void => {
    if (ended) return;
    ended = true;
    span.setAttributes({ 'dialogue.attempt.tokens': tokens(), 'dialogue.outcome': how.outcome });
    if (usage !== undefined) span.setAttributes({ 'gen_ai.usage.input_tokens': usage.inputTokens, 'gen_ai.usage.output_tokens': usage.outputTokens });
    if (how.outcome === 'failed') {
      // describeFailure is safe by construction ('HTTP 503', 'timeout (idle)'): never a provider body or a key.
      const message = describeFailure(how.error);
      span.setAttribute('error.type', message);
      span.recordException({ name: how.error instanceof Error ? how.error.name : 'Error', message });
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    } else if (how.outcome === 'cancelled') {
      span.setAttribute('dialogue.cancelled', true);
      span.addEvent('dialogue.cancelled');
    }
    span.end(clock.now());
  };
  return { task: { ...task, reportUsage, traceContext }, end };
};
