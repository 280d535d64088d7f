import { of } from 'rxjs';
import type { ChatMessage, GenerationParams } from '../../../src/conversation';
import { isTerminal } from '../../../src/events';
import { memoryCache } from '../../../src/pipeline/memory-cache';
import { simulatedExpert, type SimulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import { recordingExpert } from '../../support/recording-expert';
import { EventReader, postJson, sseEvents, startDialogueServer, waitFor, type Running } from '../server-fixtures';

/** Streams its first token at once, then waits a minute per token: in flight until cancelled (with `noGuard`, which holds no token back). */
const slowExpert = (id: string): SimulatedExpert => simulatedExpert({ id, answer: 'one two three', tokenDelayMs: 60_000 });

/** An expert that answers with the number of messages it got, and keeps every task. */
const recordingExpertOf = () => recordingExpert({ id: 'rec', answer: (task) => of(`Heard ${task.messages.length} messages.`) });

const conversation: readonly ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is a monad?' },
  { role: 'assistant', content: 'A burrito.' },
  { role: 'user', content: 'And a functor?' },
];

describe('POST /api/dialogue', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('streams the events as SSE, start to complete, with the SSE headers', async () => {
    running = await startDialogueServer({
      experts: [simulatedExpert({ id: 'a', answer: 'The answer is forty-two.' }), simulatedExpert({ id: 'b', answer: 'The answer is forty-two.' })],
      cache: memoryCache(),
    });
    const response = await postJson(`${running.origin}/api/dialogue`, { prompt: 'What is the answer?', requestId: 'req-1', scope: 'user-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await sseEvents(response);
    expect(events.every((event) => event.requestId === 'req-1')).toBe(true);
    expect(events[0]).toEqual({ type: 'start', requestId: 'req-1', at: expect.any(Number) });
    expect(events.map((event) => event.type).filter((type) => type !== 'token')).toEqual(['start', 'plan', 'cache', 'expert', 'expert', 'metrics', 'complete']);
    expect(events.find((event) => event.type === 'cache')).toEqual(expect.objectContaining({ hit: false }));
    // Estimated, about 4 characters a token: 'What is the answer?' (5) in and the 24-character answer (6) out, for each expert.
    expect(events.filter(isTerminal)).toEqual([{
      type: 'complete', requestId: 'req-1', text: 'The answer is forty-two.', fromCache: false, degraded: false,
      usage: { inputTokens: 10, outputTokens: 12, estimated: true },
    }]);
    expect(running.plugin.active()).toEqual([]);
  });

  it('passes the scope on: another scope does not get the cached answer, the same one does', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'Cached words.' })], cache: memoryCache() });
    const ask = async (scope: string) => (await sseEvents(await postJson(`${running!.origin}/api/dialogue`, { prompt: 'Q?', scope }))).at(-1);
    expect(await ask('one')).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
    expect(await ask('two')).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
    expect(await ask('one')).toEqual(expect.objectContaining({ type: 'complete', fromCache: true, text: 'Cached words.' }));
  });

  it('streams the pipeline\'s validation error as an SSE error event', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] });
    const response = await postJson(`${running.origin}/api/dialogue`, { prompt: ' ', requestId: 'bad id!' });
    expect(response.status).toBe(200);
    const events = await sseEvents(response);
    expect(events.map((event) => event.type)).toEqual(['start', 'metrics', 'error']);
    expect(events.at(-1)).toEqual(expect.objectContaining({
      error: expect.objectContaining({ kind: 'validation', user: true, issues: [expect.stringMatching(/^prompt must not be empty/), expect.stringMatching(/^requestId must be/)] }),
    }));
  });

  it('ends with cancelled when /api/cancel/:id cancels it mid-stream, and the expert stops', async () => {
    const expert = slowExpert('a');
    running = await startDialogueServer({ experts: [expert], guard: noGuard });
    const reader = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go', requestId: 'r:1' }));
    await reader.until('token');
    expect(expert.stats.active).toBe(1);
    const cancel = await fetch(`${running.origin}/api/cancel/r%3A1`, { method: 'POST' });
    expect(cancel.status).toBe(204);
    expect(await cancel.text()).toBe('');
    const events = await reader.all();
    expect(events.slice(-2).map((event) => event.type)).toEqual(['metrics', 'cancelled']);
    expect(events.at(-1)).toEqual({ type: 'cancelled', requestId: 'r:1', reason: 'cancelled' });
    expect(expert.stats).toEqual(expect.objectContaining({ active: 0, cancelled: 1 }));
    expect((await fetch(`${running.origin}/api/cancel/r%3A1`, { method: 'POST' })).status).toBe(404);
  });

  it('cancels the request when the client disconnects', async () => {
    const expert = slowExpert('a');
    running = await startDialogueServer({ experts: [expert], guard: noGuard });
    const controller = new AbortController();
    const reader = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go' }, {}, controller.signal));
    await reader.until('token');
    expect(running.plugin.active()).toHaveLength(1);
    controller.abort();
    await waitFor(() => expert.stats.active === 0, 2000, 'the expert to stop');
    expect(expert.stats.cancelled).toBe(1);
    expect(running.plugin.active()).toEqual([]);
  });
});

describe('POST /api/cancel/:requestId', () => {
  let running: Running;
  beforeEach(async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] });
  });
  afterEach(() => running.close());

  it('answers 404 for a request that is not in flight', async () => {
    const response = await fetch(`${running.origin}/api/cancel/nobody`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { message: 'No request with this id is in flight', type: 'not_found_error', code: 'request_not_found' } });
  });

  it('answers 400 for a request id that is not valid percent-encoding', async () => {
    const response = await fetch(`${running.origin}/api/cancel/%E0%A4%A`, { method: 'POST' });
    expect(response.status).toBe(400);
  });
});

describe('POST /api/dialogue with messages', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('runs the whole conversation, params included, and caches it apart from the bare question', async () => {
    const expert = recordingExpertOf();
    running = await startDialogueServer({ experts: [expert], cache: memoryCache(), guard: noGuard });
    const params: GenerationParams = { temperature: 0, maxTokens: 64 };
    const events = await sseEvents(await postJson(`${running.origin}/api/dialogue`, { messages: conversation, params }));
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'complete', text: 'Heard 4 messages.', fromCache: false }));
    expect(expert.tasks).toHaveLength(1);
    expect(expert.tasks[0]).toEqual(expect.objectContaining({ prompt: 'And a functor?', messages: conversation, params }));

    const bare = await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: 'And a functor?', params }));
    expect(bare.at(-1)).toEqual(expect.objectContaining({ type: 'complete', text: 'Heard 1 messages.', fromCache: false }));
    const again = await sseEvents(await postJson(`${running.origin}/api/dialogue`, { messages: conversation, params }));
    expect(again.at(-1)).toEqual(expect.objectContaining({ type: 'complete', text: 'Heard 4 messages.', fromCache: true }));
    expect(expert.tasks).toHaveLength(2);
  });

  it.each([
    ['both prompt and messages', { prompt: 'Q?', messages: [{ role: 'user', content: 'Q?' }] }, /^Give either "prompt" or "messages", not both/],
    ['neither', { requestId: 'r1' }, /^Missing "prompt" or "messages"/],
    ['messages that is no array', { messages: { role: 'user', content: 'Q?' } }, /^"messages" must be an array of chat messages/],
  ])('answers 400 for %s, running nothing', async (_what, body, message) => {
    const expert = recordingExpertOf();
    running = await startDialogueServer({ experts: [expert] });
    const response = await postJson(`${running.origin}/api/dialogue`, body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string; code: string } }).error).toEqual(expect.objectContaining({ message: expect.stringMatching(message), code: 'invalid_request' }));
    expect(expert.tasks).toEqual([]);
  });

  it('streams the pipeline\'s validation errors for a bad conversation and bad params as one error event', async () => {
    const expert = recordingExpertOf();
    running = await startDialogueServer({ experts: [expert] });
    const events = await sseEvents(await postJson(`${running.origin}/api/dialogue`, {
      messages: [{ role: 'user', content: 'Q?' }, { role: 'assistant', content: 'A.' }], params: { temperature: 7 },
    }));
    expect(events.at(-1)).toEqual(expect.objectContaining({
      type: 'error',
      error: expect.objectContaining({ kind: 'validation', user: true, issues: expect.arrayContaining([
        expect.stringMatching(/^the last message must be from the user/), expect.stringMatching(/^params\.temperature must be a number from 0 to 2/),
      ]) }),
    }));
    expect(expert.tasks).toEqual([]);
  });

  it('reads params: null as no params, as /v1 and /api/chat do', async () => {
    const expert = recordingExpertOf();
    running = await startDialogueServer({ experts: [expert] });
    const events = await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Q?', params: null }));
    expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'complete' }));
    expect(expert.tasks).toHaveLength(1);
    expect(expert.tasks[0]!.params).toBeUndefined();
  });
});
