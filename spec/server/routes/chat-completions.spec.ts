import OpenAI from 'openai';
import { simulatedExpert, type SimulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import { postJson, startDialogueServer, waitFor, type Running } from '../server-fixtures';

const ANSWER = 'Forty-two, as  everyone knows.\nReally.';
const KEY = 'sk-local-test';

/** Streams its first token at once, then waits a minute per token (with `noGuard`, nothing is held back). */
const slowExpert = (): SimulatedExpert => simulatedExpert({ id: 'slow', answer: 'one two three', tokenDelayMs: 60_000 });

const user = (content: string) => [{ role: 'user' as const, content }];

describe('POST /v1/chat/completions', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const client = (): OpenAI => new OpenAI({ baseURL: `${running!.origin}/v1`, apiKey: KEY, maxRetries: 0 });
  const start = async (experts: SimulatedExpert[], options: { limits?: { maxConcurrent?: number; maxQueued?: number } } = {}) => {
    running = await startDialogueServer({ experts, guard: noGuard, retry: { maxRetries: 0 }, ...options }, { apiKey: KEY });
  };

  describe('with the official openai client', () => {
    it('answers a non-streamed request with one chat.completion', async () => {
      await start([simulatedExpert({ id: 'a', answer: ANSWER })]);
      const completion = await client().chat.completions.create({
        model: 'dialogue-pipeline',
        messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'earlier' }, { role: 'assistant', content: 'x' }, { role: 'user', content: 'What is the answer?' }],
      });
      expect(completion).toEqual({
        id: expect.stringMatching(/^chatcmpl-[0-9a-f-]{36}$/),
        object: 'chat.completion',
        created: expect.any(Number),
        model: 'dialogue-pipeline',
        choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
        // complete.usage: the simulated expert estimates its tokens from the whole conversation
        // (36 characters: 9 tokens; the last user message alone would be 5) and its 38-character answer.
        usage: { prompt_tokens: 9, completion_tokens: 10, total_tokens: 19 },
      });
      expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
    });

    it('streams chunks whose joined content is the final answer', async () => {
      await start([simulatedExpert({ id: 'a', answer: ANSWER, tokenDelayMs: 1 }), simulatedExpert({ id: 'b', answer: 'Something else entirely.', tokenDelayMs: 1 })]);
      const stream = await client().chat.completions.create({ model: 'dialogue-pipeline', messages: user('What is the answer?'), stream: true, stream_options: { include_usage: true } });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      const final = await client().chat.completions.create({ model: 'dialogue-pipeline', messages: user('What is the answer?') });
      expect(content).toBe(final.choices[0].message.content);
      expect(content).toBe(ANSWER);
      expect(chunks[0].choices[0]).toEqual({ index: 0, delta: { role: 'assistant' }, finish_reason: null });
      expect(chunks.at(-2)!.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'stop' });
      expect(chunks.at(-1)).toEqual(expect.objectContaining({ choices: [], usage: expect.objectContaining({ total_tokens: expect.any(Number) }) }));
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    });

    it('stops the experts when the client aborts its stream after the first chunk', async () => {
      const expert = slowExpert();
      await start([expert]);
      const stream = await client().chat.completions.create({ model: 'dialogue-pipeline', messages: user('Go'), stream: true });
      for await (const chunk of stream) {
        expect(chunk.choices[0].delta).toEqual({ role: 'assistant' });
        expect(expert.stats.active).toBe(1);
        stream.controller.abort();
        break;
      }
      await waitFor(() => expert.stats.active === 0, 2000, 'the expert to stop');
      expect(expert.stats.cancelled).toBe(1);
      expect(running!.plugin.active()).toEqual([]);
    });

    it('raises a failure after the stream opened as an error chunk', async () => {
      await start([simulatedExpert({ id: 'a', answer: 'one two three', faults: [{ afterTokens: 1, error: 'bad-request' }] })]);
      const stream = await client().chat.completions.create({ model: 'dialogue-pipeline', messages: user('Go'), stream: true });
      const read = async (): Promise<unknown[]> => {
        const seen: unknown[] = [];
        for await (const chunk of stream) seen.push(chunk);
        return seen;
      };
      await expect(read()).rejects.toEqual(expect.objectContaining({ error: { message: 'The request failed', type: 'server_error', code: 'internal_error' } }));
    });

    it.each([
      ['no messages', 400, { messages: [] }, 'messages must be a non-empty array'],
      ['no user message', 400, { messages: [{ role: 'system', content: 'x' }] }, "the last message must be the user's (its content is the prompt), not system"],
      ['an unknown model', 404, { model: 'gpt-4o', messages: user('hi') }, "The model 'gpt-4o' does not exist; GET /v1/models lists the available ones"],
      ['a blank prompt', 400, { messages: user('   ') }, 'Invalid prompt: messages[0].content must not be empty or whitespace only'],
    ])('answers %s with an OpenAI error, status %i', async (_what, status, body, message) => {
      await start([simulatedExpert({ id: 'a' })]);
      const request = { model: 'dialogue-pipeline', ...body } as OpenAI.ChatCompletionCreateParamsNonStreaming;
      await expect(client().chat.completions.create(request)).rejects.toEqual(expect.objectContaining({ status, message: `${status} ${message}` }));
    });
  });

  it('joins the text parts of the last user message into the prompt', async () => {
    await start([simulatedExpert({ id: 'a', answer: (prompt) => `You said: ${prompt}` })]);
    const response = await postJson(`${running!.origin}/v1/chat/completions`, {
      model: 'dialogue-pipeline', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'there' }] }],
    }, { authorization: `Bearer ${KEY}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe('You said: Hello\nthere');
  });

  it('sends exactly the OpenAI wire format when streaming', async () => {
    await start([simulatedExpert({ id: 'a', answer: 'Hi there' })]);
    const response = await postJson(`${running!.origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: user('hi'), stream: true }, { authorization: `Bearer ${KEY}` });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const requestId = response.headers.get('x-request-id');
    const raw = await response.text();
    const frames = raw.split('\n\n');
    expect(frames.pop()).toBe('');
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((frame) => {
      expect(frame.startsWith('data: ')).toBe(true);
      return JSON.parse(frame.slice(6)) as Record<string, unknown>;
    });
    const head = { id: `chatcmpl-${requestId}`, object: 'chat.completion.chunk', created: chunks[0].created, model: 'dialogue-pipeline' };
    expect(chunks).toEqual([
      { ...head, choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { reasoning_content: '[a] Hi' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { reasoning_content: ' there' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: ' there' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ]);
    expect(raw.startsWith(`data: {"id":"chatcmpl-${requestId}","object":"chat.completion.chunk","created":${String(chunks[0].created)},"model":"dialogue-pipeline","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}\n\n`)).toBe(true);
  });

  it('keeps a waiting stream alive with ": ping" comments, which OpenAI clients skip', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'slow but sure', tokenDelayMs: 40 })] }, { apiKey: KEY, heartbeatMs: 5 });
    const raw = await (await postJson(`${running.origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: user('hi'), stream: true }, { authorization: `Bearer ${KEY}` })).text();
    expect(raw).toMatch(/^data: \{[^\n]*"role":"assistant"[^\n]*\}\n\n(data: [^\n]*\n\n)*(: ping\n\n)+data: /);
    const stream = await client().chat.completions.create({ model: 'dialogue-pipeline', messages: user('hi again'), stream: true });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(content).toBe('slow but sure');
  });

  it('answers 503 overloaded (with Retry-After) when there is no execution slot', async () => {
    await start([slowExpert()], { limits: { maxConcurrent: 1, maxQueued: 0 } });
    const first = client().chat.completions.create({ model: 'dialogue-pipeline', messages: user('first'), stream: true });
    const stream = await first;
    const second = await postJson(`${running!.origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: user('second') }, { authorization: `Bearer ${KEY}` });
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await second.json()).toEqual({ error: { message: 'The server is overloaded; retry later', type: 'server_error', code: 'overloaded' } });
    stream.controller.abort();
  });

  it('answers 500 with a generic message when every expert fails, leaking nothing', async () => {
    await start([simulatedExpert({ id: 'a', faults: [{ error: 'bad-request' }] })]);
    const response = await postJson(`${running!.origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: user('hi') }, { authorization: `Bearer ${KEY}` });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { message: 'The request failed', type: 'server_error', code: 'internal_error' } });
  });

  it('answers 503 cancelled, not to be retried, when the request is cancelled before it answers', async () => {
    await start([slowExpert()]);
    const pending = postJson(`${running!.origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: user('hi') }, { authorization: `Bearer ${KEY}` });
    await waitFor(() => running!.plugin.active().length === 1, 2000, 'the request to start');
    expect(running!.plugin.cancel(running!.plugin.active()[0])).toBe(true);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(await response.json()).toEqual({ error: { message: 'The request was cancelled', type: 'server_error', code: 'cancelled' } });
  });

  it('cancels a non-streamed request when the client disconnects', async () => {
    const expert = slowExpert();
    await start([expert]);
    const controller = new AbortController();
    const pending = postJson(`${running!.origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: user('hi') }, { authorization: `Bearer ${KEY}` }, controller.signal);
    await waitFor(() => expert.stats.active === 1, 2000, 'the expert to start');
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => expert.stats.active === 0, 2000, 'the expert to stop');
    expect(running!.plugin.active()).toEqual([]);
  });
});
