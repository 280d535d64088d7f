/**
 * Trace context end to end over real HTTP: a client's `traceparent` makes the request span a child
 * of the client's trace, and the upstream OpenAI-compatible server receives the attempt's
 * `traceparent` in that same trace.
 */
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { SystemErrorContext } from '../../src/ports';
import { openAICompatibleExpert } from '../../src/sources/openai-compatible-expert';
import { chunk, DONE, fakeOpenAIServer, type FakeOpenAIServer } from '../support/fake-openai-server';
import { inMemoryTracing, parentId } from '../support/in-memory-tracing';
import { postJson, sseEvents, startDialogueServer, type Running } from './server-fixtures';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const KEY = 'tenant-key-1';

describe('server tracing', () => {
  let upstream: FakeOpenAIServer | undefined;
  let running: Running | undefined;
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());
  afterEach(async () => {
    await running?.close();
    await upstream?.close();
    running = undefined;
    upstream = undefined;
  });

  it('continues the caller\'s trace: request span under the incoming traceparent, upstream called with the attempt\'s', async () => {
    upstream = await fakeOpenAIServer([{ writes: [chunk('Traced'), chunk(' answer', 'stop'), DONE] }]);
    const tracing = inMemoryTracing();
    running = await startDialogueServer(
      { experts: [openAICompatibleExpert({ baseURL: upstream.baseURL, model: 'gpt-x' })], tracing: { tracer: tracing.tracer } },
      { apiKeys: { [KEY]: { tenant: 'acme' } } },
    );
    const response = await postJson(`${running.origin}/api/dialogue`, { prompt: 'Hello', requestId: 'c1' }, {
      authorization: `Bearer ${KEY}`, traceparent: `00-${TRACE_ID}-${CLIENT_SPAN}-01`,
    });
    const events = await sseEvents(response);
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'complete', text: 'Traced answer' }));
    const [request] = tracing.named('dialogue.request');
    expect(request.spanContext().traceId).toBe(TRACE_ID);
    expect(parentId(request)).toBe(CLIENT_SPAN);
    expect(request.attributes).toEqual(expect.objectContaining({ 'dialogue.tenant': 'acme', 'dialogue.outcome': 'complete' }));
    const [attempt] = tracing.named('chat gpt-x');
    expect(parentId(attempt)).toBe(request.spanContext().spanId);
    expect(upstream.requests[0].headers.traceparent).toBe(`00-${TRACE_ID}-${attempt.spanContext().spanId}-01`);
    expect(tracing.open()).toEqual([]);
  });

  it('starts a new trace when the caller sends no traceparent', async () => {
    upstream = await fakeOpenAIServer([{ writes: [chunk('New', 'stop'), DONE] }]);
    const tracing = inMemoryTracing();
    running = await startDialogueServer({ experts: [openAICompatibleExpert({ baseURL: upstream.baseURL, model: 'gpt-x' })], tracing: { tracer: tracing.tracer } });
    await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Hello' }));
    const [request] = tracing.named('dialogue.request');
    expect(parentId(request)).toBe('');
    expect(request.spanContext().traceId).not.toBe(TRACE_ID);
    expect(upstream.requests[0].headers.traceparent).toMatch(new RegExp(`^00-${request.spanContext().traceId}-`));
  });

  it('hands onSystemError the tenant of the key that sent the request', async () => {
    upstream = await fakeOpenAIServer([{ status: 500, writes: ['{"error":{"message":"boom"}}'] }]);
    const contexts: SystemErrorContext[] = [];
    running = await startDialogueServer(
      { experts: [openAICompatibleExpert({ baseURL: upstream.baseURL, model: 'gpt-x' })], retry: { maxRetries: 0 }, onSystemError: (_error, context) => contexts.push(context) },
      { apiKeys: { [KEY]: { tenant: 'acme' } } },
    );
    const events = await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Hello', requestId: 'c2' }, { authorization: `Bearer ${KEY}` }));
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'error' }));
    expect(contexts.map((context) => [context.stage, context.tenant])).toEqual([['expert:gpt-x', 'acme'], ['execution', 'acme']]);
    expect(contexts[0].requestId).toMatch(/^acme\./);
  });
});
