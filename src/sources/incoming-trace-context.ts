/**
 * `incomingTraceContext(headers)`: the caller's trace context from incoming HTTP headers (W3C
 * `traceparent`/`tracestate` with the globally registered propagator), for `process(..., {
 * traceContext })`. Undefined when the request carries no `traceparent`, so the plugin's default
 * (the active context) applies and nothing is parsed for untraced callers.
 */
import { propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';

/** The trace context the headers carry, or undefined without a `traceparent` header. */
export const incomingTraceContext = (headers: IncomingHttpHeaders): Context | undefined =>
  (headers.traceparent === undefined ? undefined : propagation.extract(ROOT_CONTEXT, headers));
