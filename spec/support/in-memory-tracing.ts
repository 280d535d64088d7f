/**
 * The OpenTelemetry SDK's real in-memory pieces for tracing specs: a provider whose spans go to
 * an InMemorySpanExporter, plus a processor that counts started and ended spans so a spec can
 * prove that nothing was left open.
 */
import type { Context } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A tracer, its finished spans, and the spans started but not ended yet. */
export const inMemoryTracing = () => {
  const exporter = new InMemorySpanExporter();
  const open = new Set<Span>();
  let started = 0;
  const counter: SpanProcessor = {
    onStart: (span: Span, _parent: Context) => { started += 1; open.add(span); },
    onEnd: (span: ReadableSpan) => { open.delete(span as Span); },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), counter] });
  return {
    tracer: provider.getTracer('spec'),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    named: (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.name === name),
    started: (): number => started,
    /** Names of the spans started and not ended. */
    open: (): string[] => [...open].map((span) => span.name),
  };
};

/** The parent span id of `span` ('' for a root). */
export const parentId = (span: ReadableSpan): string => span.parentSpanContext?.spanId ?? '';
