/**
 * One request's `dialogue.request` span (see docs/DESIGN-NOTES.md, "Tracing"). It notes the
 * request's events (never tokens) and stage timings as they pass, and on `end()` writes one
 * child span per timed stage (explicit start and end times from the plugin's clock) and ends
 * itself. A request that ended without a terminal event (the caller unsubscribed) is marked
 * cancelled. `end()` is idempotent.
 */
import { SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { TimingEvent } from '../chain-events';
import type { PipelineEvent } from '../events';
import type { Clock } from '../ports';

/** The span name of a request. */
export const REQUEST_SPAN = 'dialogue.request';

/** The span name of a stage (`dialogue.stage validation`, ...). */
export const stageSpanName = (stage: string): string => `dialogue.stage ${stage}`;

/** A request's span, its context (the parent of its stage and attempt spans) and what it saw. */
export class RequestSpan {
  readonly span: Span;
  readonly context: Context;
  private readonly timings: TimingEvent[] = [];
  private terminal = false;
  private ended = false;

  constructor(private readonly tracer: Tracer, private readonly clock: Clock, requestId: string, parent: Context, tenant: string | undefined) {
    this.span = tracer.startSpan(REQUEST_SPAN, {
      startTime: clock.now(),
      attributes: { 'dialogue.request_id': requestId, ...(tenant === undefined ? {} : { 'dialogue.tenant': tenant }) },
    }, parent);
    this.context = trace.setSpan(parent, this.span);
  }

  /** A stage's timing fact (from `finish`): kept for the stage spans written at the end. */
  timing(event: TimingEvent): void {
    if (!this.ended) this.timings.push(event);
  }

  /** Notes what a public event tells; the caller skips `token` events (no per-token work). */
  note(event: PipelineEvent): void {
    const { span } = this;
    switch (event.type) {
      case 'cache':
        span.setAttribute('dialogue.cache_hit', event.hit);
        return;
      case 'complete':
        this.terminal = true;
        span.setAttributes({ 'dialogue.outcome': 'complete', 'dialogue.degraded': event.degraded, 'dialogue.from_cache': event.fromCache });
        if (event.usage !== undefined) span.setAttributes({ 'gen_ai.usage.input_tokens': event.usage.inputTokens, 'gen_ai.usage.output_tokens': event.usage.outputTokens });
        return;
      case 'error':
        this.terminal = true;
        // The event's message is safe by contract: generic for system errors, the caller's own mistake otherwise.
        span.setAttributes({ 'dialogue.outcome': 'error', 'error.type': event.error.kind });
        span.recordException({ name: event.error.kind, message: event.error.message });
        span.setStatus({ code: SpanStatusCode.ERROR, message: event.error.kind });
        return;
      case 'cancelled':
        this.terminal = true;
        this.cancelled(event.reason);
        return;
      default:
    }
  }

  /** Writes the stage spans and ends the request span (once). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const now = this.clock.now();
    if (!this.terminal) this.cancelled('unsubscribed');
    const open = new Map<string, number>();
    for (const { stage, at, ms } of this.timings) {
      if (ms === undefined) open.set(stage, at);
      else {
        open.delete(stage);
        this.tracer.startSpan(stageSpanName(stage), { startTime: at, attributes: { 'dialogue.stage': stage } }, this.context).end(at + ms);
      }
    }
    for (const [stage, at] of open) {
      this.tracer.startSpan(stageSpanName(stage), { startTime: at, attributes: { 'dialogue.stage': stage, 'dialogue.cancelled': true } }, this.context).end(now);
    }
    this.span.end(now);
  }

  private cancelled(reason: string): void {
    this.span.setAttributes({ 'dialogue.outcome': 'cancelled', 'dialogue.cancelled': true });
    this.span.addEvent('dialogue.cancelled', { 'dialogue.cancel_reason': reason });
  }
}
