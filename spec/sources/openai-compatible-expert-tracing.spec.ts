/** `openAICompatibleExpert` passes the attempt's trace on: a real upstream receives `traceparent`. */
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { openAICompatibleExpert } from '../../src/sources/openai-compatible-expert';
import { chunk, DONE, fakeOpenAIServer, usageChunk, type FakeOpenAIServer } from '../support/fake-openai-server';
import { inMemoryTracing } from '../support/in-memory-tracing';

const reply = { writes: [chunk('Hello'), chunk(' there', 'stop'), usageChunk(7, 2), DONE] };

describe('openAICompatibleExpert tracing', () => {
  let server: FakeOpenAIServer | undefined;
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the attempt span as traceparent upstream, in the request span\'s trace, and records the usage', async () => {
    server = await fakeOpenAIServer([reply]);
    const tracing = inMemoryTracing();
    const plugin = new DialoguePlugin({ experts: [openAICompatibleExpert({ baseURL: server.baseURL, model: 'gpt-x', apiKey: 'sk-test-key' })], cache: false, tracing: { tracer: tracing.tracer } });
    await expect(plugin.ask('Hi')).resolves.toBe('Hello there');
    await plugin.close();
    const [request] = tracing.named('dialogue.request');
    const [attempt] = tracing.named('chat gpt-x');
    expect(server.requests[0].headers.traceparent).toBe(`00-${request.spanContext().traceId}-${attempt.spanContext().spanId}-01`);
    expect(attempt.attributes).toEqual(expect.objectContaining({
      'gen_ai.provider.name': 'openai', 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 2,
    }));
    expect(tracing.open()).toEqual([]);
  });

  it('sends no traceparent when tracing is off', async () => {
    server = await fakeOpenAIServer([reply]);
    const plugin = new DialoguePlugin({ experts: [openAICompatibleExpert({ baseURL: server.baseURL, model: 'gpt-x' })], cache: false });
    await expect(plugin.ask('Hi')).resolves.toBe('Hello there');
    await plugin.close();
    expect(server.requests[0].headers.traceparent).toBeUndefined();
  });
});
