import OpenAI from 'openai';
import { simulatedExpert, type SimulatedExpert } from '../../../src/sources/simulated-expert';
import { aggregator } from '../../../src/strategies/fusion-aggregator';
import { noGuard } from '../../../src/strategies/output-guard';
import type { DialoguePluginOptions } from '../../../src/pipeline/options';
import type { DialogueServerOptions } from '../../../src/server/server-options';
import { CORRECTION_MARKER } from '../../../src/server/openai/chat-deltas';
import { startDialogueServer, type Running } from '../server-fixtures';

const KEY = 'sk-local-test';
const MODEL = 'dialogue-pipeline';
const user = (content: string) => [{ role: 'user' as const, content }];
/** A streamed delta as the server sends it (the client's type does not know `reasoning_content`). */
type Delta = { content?: string | null; reasoning_content?: string; role?: string };

describe('POST /v1/chat/completions: conversation, params, live stream', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const client = (): OpenAI => new OpenAI({ baseURL: `${running!.origin}/v1`, apiKey: KEY, maxRetries: 0 });
  const start = async (experts: SimulatedExpert[], plugin: Partial<DialoguePluginOptions> = {}, server: Omit<DialogueServerOptions, 'plugin'> = {}) => {
    running = await startDialogueServer({ experts, guard: noGuard, retry: { maxRetries: 0 }, ...plugin }, { apiKey: KEY, ...server });
  };
  const deltas = async (request: Omit<OpenAI.ChatCompletionCreateParamsStreaming, 'stream'>): Promise<Delta[]> => {
    const stream = await client().chat.completions.create({ ...request, stream: true });
    const seen: Delta[] = [];
    for await (const chunk of stream) if (chunk.choices[0] !== undefined) seen.push(chunk.choices[0].delta as Delta);
    return seen;
  };
  const lane = (list: readonly Delta[], key: 'content' | 'reasoning_content') => list.map((delta) => delta[key] ?? '').join('');

  it('passes the whole conversation and the generation params to the experts', async () => {
    const echo = simulatedExpert({ id: 'a', answer: (_prompt, messages) => `${messages.map((m) => `${m.role}:${m.content}`).join(' | ')} and more words here` });
    await start([echo]);
    const completion = await client().chat.completions.create({
      model: MODEL, max_tokens: 4, temperature: 0.3, seed: 1, user: 'someone',
      messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'Q1' }, { role: 'assistant', content: 'A1' }, { role: 'user', content: 'Q2' }],
    });
    // The developer message arrived as a system message, the history too; max_tokens: 4 cut the answer to 4 tokens.
    expect(completion.choices[0].message.content).toBe('system:Be brief. | user:Q1');
    const stopped = await client().chat.completions.create({ model: MODEL, stop: [' and'], messages: user('Q') });
    expect(stopped.choices[0].message.content).toBe('user:Q');
  });

  it.each([
    ['n', { n: 2 }],
    ['tools', { tools: [{ type: 'function' as const, function: { name: 'lookup' } }] }],
    ['response_format', { response_format: { type: 'json_object' as const } }],
    ['logprobs', { logprobs: true }],
  ])('refuses %s: the client raises BadRequestError with param and code', async (param, extra) => {
    await start([simulatedExpert({ id: 'a' })]);
    const failure = await client().chat.completions.create({ model: MODEL, messages: user('hi'), ...extra }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(failure).toEqual(expect.objectContaining({ status: 400, param, code: 'unsupported_parameter', type: 'invalid_request_error' }));
  });

  it('streams each expert as labelled reasoning and the selected answer as content, with the real usage', async () => {
    await start([simulatedExpert({ id: 'a', answer: 'Alpha answer.', tokenDelayMs: 1 }), simulatedExpert({ id: 'b', answer: 'Beta answer here.', tokenDelayMs: 1 })]);
    const stream = await client().chat.completions.create({ model: MODEL, messages: user('Which?'), stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const list = chunks.filter((chunk) => chunk.choices[0] !== undefined).map((chunk) => chunk.choices[0].delta as Delta);
    const reasoning = lane(list, 'reasoning_content');
    expect(reasoning).toMatch(/^\[[ab]\] /);
    expect(reasoning).toContain('[a] ');
    expect(reasoning).toContain('[b] ');
    const content = lane(list, 'content');
    expect(['Alpha answer.', 'Beta answer here.']).toContain(content);
    // The reasoning comes while the experts run, the content after it.
    const firstContent = list.findIndex((delta) => delta.content);
    expect(list.findIndex((delta) => delta.reasoning_content !== undefined)).toBeLessThan(firstContent);
    expect(list.slice(firstContent).some((delta) => delta.reasoning_content !== undefined)).toBe(false);
    const final = await client().chat.completions.create({ model: MODEL, messages: user('Which?') });
    expect(chunks.at(-1)!.usage).toEqual(final.usage);
    // Two experts' estimates: 2 tokens of prompt each, 4 + 5 tokens of answers.
    expect(final.usage).toEqual({ prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 });
  });

  it('streams a generating fusion live as content', async () => {
    await start([simulatedExpert({ id: 'a', answer: 'Alpha.' })], { fusion: aggregator(simulatedExpert({ id: 'agg', answer: 'The fused answer.', tokenDelayMs: 1 })) });
    const list = await deltas({ model: MODEL, messages: user('Go') });
    expect(lane(list, 'content')).toBe('The fused answer.');
    expect(list.filter((delta) => delta.content).map((delta) => delta.content)).toEqual(['The', ' fused', ' answer.']);
    expect(lane(list, 'reasoning_content')).toBe('[a] Alpha.');
  });

  it('appends the final answer after a correction marker when the generating fusion fails after streaming', async () => {
    const failing = simulatedExpert({ id: 'agg', answer: 'Half of a fused answer', faults: [{ afterTokens: 2, error: 'bad-request' }] });
    await start([simulatedExpert({ id: 'a', answer: 'Alpha.' })], { fusion: aggregator(failing) });
    const list = await deltas({ model: MODEL, messages: user('Go') });
    const final = await client().chat.completions.create({ model: MODEL, messages: user('Go') });
    expect(final.choices[0].message.content).toBe('Alpha.');
    expect(lane(list, 'content')).toBe(`Half of${CORRECTION_MARKER}Alpha.`);
    expect(lane(list, 'reasoning_content')).toContain('[fusion] the fusion failed');
  });

  it('sends no reasoning_content when the server option openAIReasoning is false', async () => {
    await start([simulatedExpert({ id: 'a', answer: 'Alpha answer.' })], {}, { openAIReasoning: false });
    const list = await deltas({ model: MODEL, messages: user('Go') });
    expect(list.some((delta) => delta.reasoning_content !== undefined)).toBe(false);
    expect(lane(list, 'content')).toBe('Alpha answer.');
  });
});
