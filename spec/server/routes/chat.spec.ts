/**
 * `POST /api/chat` against the AI SDK's own client side: `DefaultChatTransport` (its fetch and its
 * SSE + schema parser) sends what `useChat` sends and yields the parsed chunks, and
 * `readUIMessageStream` folds them into the `UIMessage` a `useChat` UI renders. A real server on
 * 127.0.0.1 with simulated experts.
 */
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { concat, from, Subject, throwError } from 'rxjs';
import * as E from 'fp-ts/Either';
import type { FusionStrategy } from '../../../src/ports';
import { memoryCache } from '../../../src/pipeline/memory-cache';
import { simulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import type { DialogueDataTypes, DialogueMessageMetadata, ExpertData } from '../../../src/server/ai-sdk/ui-message-chunks';
import { toChatMessages } from '../../../src/server/ai-sdk/ui-message-request';
import type { DialoguePluginOptions } from '../../../src/pipeline/options';
import { postJson, startDialogueServer, waitFor, type Running } from '../server-fixtures';

type DialogueMessage = UIMessage<DialogueMessageMetadata, DialogueDataTypes>;
type Chunk = UIMessageChunk<DialogueMessageMetadata, DialogueDataTypes>;

const KEY = 'chat-test-key';
const ALPHA = 'Blue light scatters the most in air.';
const BETA = 'Rayleigh scattering favours short wavelengths, so the sky looks blue.';

const userMessage = (text: string, id = 'u1'): DialogueMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] });

/** One reply read with the SDK: every chunk as it arrived (copied: the reader mutates what it keeps), and the final message. */
interface Reply {
  readonly chunks: Chunk[];
  /** Resolves once the stream ended: the last message state and the errors the SDK reported. */
  readonly done: Promise<{ message: DialogueMessage | undefined; errors: string[] }>;
}

describe('POST /api/chat (AI SDK UI message stream)', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const start = async (options: DialoguePluginOptions): Promise<Running> => {
    running = await startDialogueServer({ guard: noGuard, ...options }, { apiKey: KEY });
    return running;
  };

  const transport = (headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) =>
    new DefaultChatTransport<DialogueMessage>({ api: `${running!.origin}/api/chat`, headers });

  const send = async (messages: DialogueMessage[], abortSignal?: AbortSignal): Promise<Reply> => {
    const stream = await transport().sendMessages({ chatId: 'chat-1', messageId: undefined, trigger: 'submit-message', messages, abortSignal });
    const chunks: Chunk[] = [];
    const recorded = stream.pipeThrough(new TransformStream<Chunk, Chunk>({
      transform: (chunk, controller) => {
        chunks.push(structuredClone(chunk));
        controller.enqueue(chunk);
      },
    }));
    const errors: string[] = [];
    const done = (async () => {
      let message: DialogueMessage | undefined;
      for await (const state of readUIMessageStream<DialogueMessage>({ stream: recorded, onError: (error) => errors.push((error as Error).message) })) message = state;
      return { message, errors };
    })();
    return { chunks, done };
  };

  const texts = (message: DialogueMessage | undefined) => (message?.parts ?? []).flatMap((part) => (part.type === 'text' ? [part] : []));
  const expertParts = (message: DialogueMessage | undefined): ExpertData[] =>
    (message?.parts ?? []).flatMap((part) => (part.type === 'data-expert' ? [part.data] : []));

  /** Each expert's text as a client following the snapshots and deltas shows it. */
  const followExperts = (chunks: readonly Chunk[]): Record<string, string> => {
    const shown: Record<string, string> = {};
    for (const chunk of chunks) {
      if (chunk.type === 'data-expert') shown[chunk.data.expertId] = chunk.data.text;
      if (chunk.type === 'data-expert-delta') shown[chunk.data.expertId] += chunk.data.delta;
    }
    return shown;
  };

  it('answers with the headers of the protocol and ends the body with [DONE]', async () => {
    await start({ experts: [simulatedExpert({ id: 'alpha', answer: ALPHA })] });
    const response = await postJson(`${running!.origin}/api/chat`, { id: 'c', messages: [userMessage('Why is the sky blue?')], trigger: 'submit-message' }, { authorization: `Bearer ${KEY}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const requestId = response.headers.get('x-request-id');
    const body = await response.text();
    expect(body.startsWith(`data: {"type":"start","messageId":"${requestId}"`)).toBe(true);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('streams a sections fusion as text, with the plan and every expert as data parts', async () => {
    await start({ experts: [simulatedExpert({ id: 'alpha', answer: ALPHA, tokenDelayMs: 1 }), simulatedExpert({ id: 'beta', answer: BETA, tokenDelayMs: 1 })], fusion: 'sections' });
    const reply = await send([userMessage('Why is the sky blue?')]);
    const { message, errors } = await reply.done;
    expect(errors).toEqual([]);
    expect(texts(message).map((part) => part.text)).toEqual([`### alpha\n\n${ALPHA}\n\n### beta\n\n${BETA}`]);
    expect(message?.parts.find((part) => part.type === 'data-plan')).toEqual({
      type: 'data-plan', id: 'plan',
      data: { intent: 'general', experts: [{ expertId: 'alpha', model: 'simulated', version: '1' }, { expertId: 'beta', model: 'simulated', version: '1' }], fusion: { id: 'sections', version: '1' } },
    });
    expect(expertParts(message)).toEqual([
      expect.objectContaining({ expertId: 'alpha', status: 'ok', text: ALPHA, tokens: 7 }),
      expect.objectContaining({ expertId: 'beta', status: 'ok', text: BETA, tokens: 10 }),
    ]);
    expect(message?.id).toBe(message?.metadata?.requestId);
    expect(message?.metadata).toEqual(expect.objectContaining({ fromCache: false, degraded: false, totalMs: expect.any(Number) }));
    expect(reply.chunks.at(-1)).toEqual({ type: 'finish', finishReason: 'stop', messageMetadata: expect.objectContaining({ fromCache: false }) });
    expect(message?.parts.some((part) => part.type === 'data-expert-delta')).toBe(false); // transient: onData only
  });

  it('streams the tokens of a generating fusion as they come', async () => {
    const fused = new Subject<string>();
    const live: FusionStrategy = { id: 'live', version: '1', orderSensitive: true, mode: 'generate', fuse: () => fused };
    await start({ experts: [simulatedExpert({ id: 'alpha', answer: ALPHA })], fusion: live });
    const reply = await send([userMessage('Why?')]);
    await waitFor(() => reply.chunks.some((chunk) => chunk.type === 'data-expert' && chunk.data.status === 'ok'), 2000, 'the expert to end');
    fused.next('Fused ');
    await waitFor(() => reply.chunks.some((chunk) => chunk.type === 'text-delta'), 2000, 'the first delta');
    expect(reply.chunks.filter((chunk) => chunk.type === 'text-delta')).toEqual([{ type: 'text-delta', id: 'answer-1', delta: 'Fused ' }]);
    fused.next('answer.');
    fused.complete();
    const { message } = await reply.done;
    expect(texts(message)).toEqual([expect.objectContaining({ text: 'Fused answer.', state: 'done' })]);
  });

  it('with a selecting fusion, streams the experts live as data parts and the chosen answer once, at complete', async () => {
    const experts = [simulatedExpert({ id: 'alpha', answer: ALPHA, tokenDelayMs: 1 }), simulatedExpert({ id: 'beta', answer: BETA, tokenDelayMs: 1 })];
    await start({ experts, fusion: 'best' });
    const reply = await send([userMessage('Why is the sky blue?')]);
    const { message } = await reply.done;
    const [answer] = texts(message);
    expect([ALPHA, BETA]).toContain(answer.text);
    expect(texts(message)).toHaveLength(1);
    const deltas = reply.chunks.filter((chunk) => chunk.type === 'text-delta');
    expect(deltas).toEqual([{ type: 'text-delta', id: 'answer-1', delta: answer.text }]);
    const firstText = reply.chunks.findIndex((chunk) => chunk.type === 'text-start');
    const lastExpert = reply.chunks.map((chunk) => chunk.type).lastIndexOf('data-expert-delta');
    expect(firstText).toBeGreaterThan(lastExpert);
    expect(reply.chunks.filter((chunk) => chunk.type === 'data-expert-delta').length).toBeGreaterThan(5);
    expect(followExperts(reply.chunks)).toEqual({ alpha: ALPHA, beta: BETA });
  });

  it('starts an expert over when a retry discards its text', async () => {
    const flaky = simulatedExpert({ id: 'flaky', answer: BETA, tokenDelayMs: 1, faults: [{ attempt: 1, afterTokens: 3, error: 'unavailable' }] });
    await start({ experts: [flaky], retry: { baseDelayMs: 1 } });
    const reply = await send([userMessage('Why?')]);
    const { message } = await reply.done;
    const retrying = reply.chunks.find((chunk) => chunk.type === 'data-expert' && chunk.data.status === 'retrying');
    expect(retrying).toEqual(expect.objectContaining({ data: expect.objectContaining({ text: '', retry: expect.objectContaining({ attempt: 1, reason: expect.any(String) }) }) }));
    expect(followExperts(reply.chunks)).toEqual({ flaky: BETA });
    expect(expertParts(message)).toEqual([expect.objectContaining({ status: 'ok', text: BETA })]);
  });

  it('marks a fusion draft superseded when the fusion fails and falls back, and leaves it out of the next turn', async () => {
    const failing: FusionStrategy = {
      id: 'fragile', version: '1', orderSensitive: true, mode: 'generate',
      fuse: () => concat(from(['A draft that ', 'breaks']), throwError(() => new Error('the fusion model went away'))),
    };
    await start({ experts: [simulatedExpert({ id: 'alpha', answer: ALPHA })], fusion: failing });
    const reply = await send([userMessage('Why?')]);
    const { message, errors } = await reply.done;
    expect(errors).toEqual([]);
    expect(texts(message)).toEqual([
      expect.objectContaining({ text: 'A draft that breaks', providerMetadata: { dialoguePipeline: { superseded: true } } }),
      expect.objectContaining({ text: ALPHA, state: 'done' }),
    ]);
    expect(message?.metadata?.degraded).toBe(true);
    const next = toChatMessages([userMessage('Why?'), message, userMessage('And at night?', 'u2')]);
    expect(next).toEqual(E.right([
      { role: 'user', content: 'Why?' }, { role: 'assistant', content: ALPHA }, { role: 'user', content: 'And at night?' },
    ]));
  });

  it('streams a cache hit as text, with the experts skipped and fromCache', async () => {
    const alpha = simulatedExpert({ id: 'alpha', answer: ALPHA });
    await start({ experts: [alpha], cache: memoryCache() });
    await (await send([userMessage('Why is the sky blue?')])).done;
    const reply = await send([userMessage('Why is the sky blue?')]);
    const { message } = await reply.done;
    expect(alpha.stats.started).toBe(1);
    expect(texts(message).map((part) => part.text)).toEqual([ALPHA]);
    expect(expertParts(message)).toEqual([expect.objectContaining({ expertId: 'alpha', status: 'skipped' })]);
    expect(message?.metadata?.fromCache).toBe(true);
  });

  it('ends a failed request with an error part holding a generic message, never the cause', async () => {
    await start({ experts: [simulatedExpert({ id: 'alpha', answer: ALPHA, faults: [{ error: 'bad-request' }] })], retry: { maxRetries: 0 } });
    const reply = await send([userMessage('Why?')]);
    const { errors } = await reply.done;
    expect(errors).toEqual(['The request failed']);
    expect(reply.chunks.slice(-2)).toEqual([
      { type: 'error', errorText: 'The request failed' },
      { type: 'finish', finishReason: 'error', messageMetadata: expect.objectContaining({ totalMs: expect.any(Number) }) },
    ]);
  });

  it("tells the caller what is wrong with a prompt the pipeline refuses", async () => {
    await start({ experts: [simulatedExpert({ id: 'alpha', answer: ALPHA })], limits: { maxPromptChars: 10 } });
    const { errors } = await (await send([userMessage('This prompt is far too long.')])).done;
    expect(errors).toEqual([expect.stringMatching(/^Invalid prompt: .*10/)]);
  });

  it('refuses, with a 400 the transport raises, a conversation that does not end with the user', async () => {
    await start({ experts: [simulatedExpert({ id: 'alpha', answer: ALPHA })] });
    const answer: DialogueMessage = { id: 'a1', role: 'assistant', parts: [{ type: 'text', text: 'Hi' }] };
    await expect(send([userMessage('Hello'), answer])).rejects.toThrow(/the last message must be the user's/);
    await expect(transport({}).sendMessages({ chatId: 'c', messageId: undefined, trigger: 'submit-message', messages: [userMessage('Hi')], abortSignal: undefined }))
      .rejects.toThrow(/invalid_api_key/);
    expect(running!.plugin.active()).toEqual([]);
  });

  it('cancels the request down to the experts when the client aborts', async () => {
    const slow = simulatedExpert({ id: 'slow', answer: 'one two three four', tokenDelayMs: 60_000 });
    await start({ experts: [slow] });
    const abort = new AbortController();
    const reply = await send([userMessage('Go')], abort.signal);
    await waitFor(() => reply.chunks.some((chunk) => chunk.type === 'data-expert' && chunk.data.status === 'streaming'), 2000, 'the first token');
    expect(slow.stats.active).toBe(1);
    abort.abort();
    await reply.done.catch(() => undefined);
    await waitFor(() => slow.stats.active === 0, 2000, 'the expert to stop');
    expect(slow.stats.cancelled).toBe(1);
    expect(running!.plugin.active()).toEqual([]);
  });

  it('ends with an abort part when the request is cancelled through /api/cancel/:requestId', async () => {
    const slow = simulatedExpert({ id: 'slow', answer: 'one two three four', tokenDelayMs: 60_000 });
    await start({ experts: [slow] });
    const reply = await send([userMessage('Go')]);
    await waitFor(() => reply.chunks.some((chunk) => chunk.type === 'data-expert' && chunk.data.status === 'streaming'), 2000, 'the first token');
    const begin = reply.chunks[0];
    if (begin.type !== 'start') throw new Error('the stream did not open with start');
    const cancel = await postJson(`${running!.origin}/api/cancel/${begin.messageMetadata!.requestId}`, {}, { authorization: `Bearer ${KEY}` });
    expect(cancel.status).toBe(204);
    const { errors } = await reply.done;
    expect(errors).toEqual([]);
    expect(reply.chunks.at(-1)).toEqual({ type: 'abort', reason: 'cancelled' });
    expect(slow.stats.cancelled).toBe(1);
  });
});
