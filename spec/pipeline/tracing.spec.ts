/** The plugin's OpenTelemetry spans, recorded by the SDK's in-memory exporter, in virtual time. */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { asyncScheduler, throwError } from 'rxjs';
import { ExpertError } from '../../src/errors';
import type { Expert } from '../../src/ports';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { inMemoryTracing, parentId } from '../support/in-memory-tracing';
import { newScheduler, record } from '../support/virtual-time';

const attrs = (span: ReadableSpan) => span.attributes;
const only = (spans: ReadableSpan[]): ReadableSpan => {
  expect(spans).toHaveLength(1);
  return spans[0];
};

describe('tracing', () => {
  it('writes one request span with a child span per stage and per expert attempt, with their attributes', () => {
    const tracing = inMemoryTracing();
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({
        experts: [simulatedExpert({ id: 'a', model: 'm-a', tokenDelayMs: 2 }), { ...simulatedExpert({ id: 'b', model: 'm-b' }), provider: 'simulated' }],
        tracing: { tracer: tracing.tracer },
      });
      const run = record(plugin.process('What is tracing?', { requestId: 'r1', tenant: 'acme' }));
      flush();
      expect(run.events[run.events.length - 1].type).toBe('complete');
    });
    const request = only(tracing.named('dialogue.request'));
    expect(parentId(request)).toBe('');
    expect(attrs(request)).toEqual(expect.objectContaining({
      'dialogue.request_id': 'r1', 'dialogue.tenant': 'acme', 'dialogue.cache_hit': false, 'dialogue.degraded': false, 'dialogue.outcome': 'complete',
    }));
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
    const children = tracing.spans().filter((span) => span !== request);
    expect(children.every((span) => parentId(span) === request.spanContext().spanId && span.spanContext().traceId === request.spanContext().traceId)).toBe(true);
    expect(children.map((span) => span.name).sort()).toEqual([
      'chat m-a', 'chat m-b',
      'dialogue.stage cache', 'dialogue.stage execution', 'dialogue.stage fusion', 'dialogue.stage outputGuard', 'dialogue.stage routing', 'dialogue.stage validation',
    ]);
    const chatA = only(tracing.named('chat m-a'));
    expect(chatA.kind).toBe(SpanKind.CLIENT);
    expect(attrs(chatA)).toEqual(expect.objectContaining({
      'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm-a', 'dialogue.expert.id': 'a', 'dialogue.attempt': 1, 'dialogue.outcome': 'ok',
    }));
    expect(attrs(chatA)['dialogue.attempt.tokens']).toBeGreaterThan(0);
    expect(attrs(chatA)['gen_ai.provider.name']).toBeUndefined();
    expect(attrs(only(tracing.named('chat m-b')))['gen_ai.provider.name']).toBe('simulated');
    // Stage spans carry the clock's times: execution lasts while expert a streams (2 ms per token).
    const execution = only(tracing.named('dialogue.stage execution'));
    expect(execution.duration[1] + execution.duration[0] * 1e9).toBeGreaterThan(0);
    expect(tracing.open()).toEqual([]);
  });

  it('redacts a key-shaped request id before it becomes an attribute, on the request and on its attempts', () => {
    const key = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX0123456789';
    const tracing = inMemoryTracing();
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'm-a' })], tracing: { tracer: tracing.tracer } });
      record(plugin.process('Hi', { requestId: key }));
      flush();
    });
    expect(attrs(only(tracing.named('dialogue.request')))['dialogue.request_id']).toBe('[REDACTED:api-key]');
    expect(attrs(only(tracing.named('chat m-a')))['dialogue.request_id']).toBe('[REDACTED:api-key]');
    expect(JSON.stringify(tracing.spans().map((span) => span.attributes))).not.toContain(key);
  });

  it('shows a retried expert as two attempt spans, the first with an error status and a safe message', () => {
    const tracing = inMemoryTracing();
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({
        experts: [simulatedExpert({ id: 'a', model: 'm-a', faults: [{ attempt: 1, error: 'unavailable' }] })],
        retry: { baseDelayMs: 10 }, tracing: { tracer: tracing.tracer },
      });
      record(plugin.process('Retry me', { requestId: 'r2' }));
      flush();
    });
    const attempts = tracing.named('chat m-a').sort((x, y) => Number(attrs(x)['dialogue.attempt']) - Number(attrs(y)['dialogue.attempt']));
    expect(attempts.map((span) => attrs(span)['dialogue.attempt'])).toEqual([1, 2]);
    expect(attempts[0].status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
    expect(attempts[0].events).toEqual([expect.objectContaining({ name: 'exception', attributes: expect.objectContaining({ 'exception.message': 'HTTP 503' }) })]);
    expect(attrs(attempts[0])['dialogue.outcome']).toBe('failed');
    expect(attempts[1].status.code).toBe(SpanStatusCode.UNSET);
    expect(attrs(attempts[1])['dialogue.outcome']).toBe('ok');
    expect(attrs(only(tracing.named('dialogue.request')))['dialogue.outcome']).toBe('complete');
    expect(tracing.open()).toEqual([]);
  });

  it('records a cancelled request (attribute and event) and ends every span, the attempts in flight included', () => {
    const tracing = inMemoryTracing();
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'm-a', tokenDelayMs: 10 })], tracing: { tracer: tracing.tracer } });
      const run = record(plugin.process('Cancel me midway please', { requestId: 'r3' }));
      asyncScheduler.schedule(() => plugin.cancel('r3'), 15);
      flush();
      expect(run.events[run.events.length - 1].type).toBe('cancelled');
    });
    const request = only(tracing.named('dialogue.request'));
    expect(attrs(request)).toEqual(expect.objectContaining({ 'dialogue.cancelled': true, 'dialogue.outcome': 'cancelled' }));
    expect(request.events.map((event) => event.name)).toEqual(['dialogue.cancelled']);
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
    expect(attrs(only(tracing.named('chat m-a')))['dialogue.cancelled']).toBe(true);
    expect(tracing.started()).toBeGreaterThan(2);
    expect(tracing.open()).toEqual([]);
  });

  it('ends every span when the caller unsubscribes mid-stream, and marks the request unsubscribed', () => {
    const tracing = inMemoryTracing();
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'm-a', tokenDelayMs: 10 })], tracing: { tracer: tracing.tracer } });
      const run = record(plugin.process('Leave me midway please', { requestId: 'r4' }));
      asyncScheduler.schedule(() => run.sub.unsubscribe(), 15);
      flush();
    });
    const request = only(tracing.named('dialogue.request'));
    expect(request.events).toEqual([expect.objectContaining({ name: 'dialogue.cancelled', attributes: { 'dialogue.cancel_reason': 'unsubscribed' } })]);
    expect(only(tracing.named('chat m-a')).events.map((event) => event.name)).toEqual(['dialogue.cancelled']);
    expect(tracing.open()).toEqual([]);
  });

  it('records a failed request as an error with the generic message, never the upstream text', () => {
    const tracing = inMemoryTracing();
    const secret = 'sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX0123456789';
    const leaky: Expert = { id: 'leaky', model: 'm-l', version: '1', stream: () => throwError(() => new ExpertError('leaky', `bad key ${secret}`, { status: 401 })) };
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [leaky], tracing: { tracer: tracing.tracer } });
      const run = record(plugin.process('Fail me', { requestId: 'r5' }));
      flush();
      expect(run.events[run.events.length - 1]).toEqual(expect.objectContaining({ type: 'error' }));
    });
    const request = only(tracing.named('dialogue.request'));
    expect(request.status).toEqual({ code: SpanStatusCode.ERROR, message: 'system' });
    expect(attrs(request)['dialogue.outcome']).toBe('error');
    expect(request.events[0].attributes?.['exception.message']).toBe('The request could not be completed. Please try again later.');
    expect(only(tracing.named('chat m-l')).status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 401' });
    expect(JSON.stringify(tracing.spans().map((span) => [span.attributes, span.events, span.status]))).not.toContain('sk-proj');
    expect(tracing.open()).toEqual([]);
  });

  it('marks a cache hit on the request span and starts no attempt', () => {
    const tracing = inMemoryTracing();
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'm-a' })], tracing: { tracer: tracing.tracer } });
      record(plugin.process('Same question'));
      flush();
      record(plugin.process('Same question'));
      flush();
    });
    const requests = tracing.named('dialogue.request');
    expect(requests.map((span) => attrs(span)['dialogue.cache_hit'])).toEqual([false, true]);
    expect(tracing.named('chat m-a')).toHaveLength(1);
    expect(tracing.open()).toEqual([]);
  });

  it('creates no span at all when tracing is off, even with a global tracer provider registered', () => {
    const tracing = inMemoryTracing();
    const provider = { getTracer: () => tracing.tracer };
    trace.setGlobalTracerProvider(provider);
    try {
      newScheduler().run(({ flush }) => {
        const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'm-a' })] });
        record(plugin.process('Untraced'));
        flush();
        const traced = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'm-a' })], tracing: true });
        record(traced.process('Traced by the global provider'));
        flush();
      });
    } finally {
      trace.disable();
    }
    // Only the second plugin (tracing: true) made spans, from the global provider.
    expect(tracing.named('dialogue.request').map((span) => attrs(span)['dialogue.request_id'])).toHaveLength(1);
    expect(tracing.spans().every((span) => span.spanContext().traceId === tracing.named('dialogue.request')[0].spanContext().traceId)).toBe(true);
  });

  it('gives each request of a single flight its own span; the shared attempts belong to the leader', () => {
    const tracing = inMemoryTracing();
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', model: 'm-a', tokenDelayMs: 5 })], tracing: { tracer: tracing.tracer } });
      record(plugin.process('Shared question', { requestId: 'leader' }));
      record(plugin.process('Shared question', { requestId: 'joiner' }));
      flush();
    });
    const requests = tracing.named('dialogue.request');
    expect(requests.map((span) => attrs(span)['dialogue.request_id']).sort()).toEqual(['joiner', 'leader']);
    const leader = requests.find((span) => attrs(span)['dialogue.request_id'] === 'leader')!;
    expect(tracing.named('chat m-a').map(parentId)).toEqual([leader.spanContext().spanId]);
    expect(tracing.open()).toEqual([]);
  });

  it('refuses a tracing option that is neither a boolean nor { tracer }, and a non-string tenant', () => {
    expect(() => new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], tracing: 'yes' as never })).toThrow(/tracing must be a boolean or \{ tracer\?: Tracer \}/);
    newScheduler().run(({ flush }) => {
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })] });
      const run = record(plugin.process('Hi', { tenant: 5 as never }));
      flush();
      expect(run.events[run.events.length - 1]).toEqual(expect.objectContaining({ type: 'error', error: expect.objectContaining({ kind: 'validation', issues: [expect.stringMatching(/^tenant must be a string/)] }) }));
    });
  });
});
