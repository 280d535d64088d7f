import { firstValueFrom, Observable, retry } from 'rxjs';
import { ExpertError } from '../../src/errors';
import type { ExpertTask } from '../../src/ports';
import { openAICompatibleExpert, type OpenAICompatibleExpertOptions } from '../../src/sources/openai-compatible-expert';
import { chunk, DONE, fakeOpenAIServer, roleChunk, trackingFetch, usageChunk, type FakeOpenAIServer, type ScriptedReply } from '../support/fake-openai-server';

const KEY = 'sk-test-NEVER-LEAK-9f83c1d2';
const PROMPT = 'Explain binary trees';
const task: ExpertTask = { requestId: 'r1', prompt: PROMPT, messages: [{ role: 'user', content: PROMPT }], attempt: 1 };

/** Everything an Observable did, in order; `settled` resolves at its error or completion. */
interface Recording { tokens: string[]; error?: unknown; completed: boolean; settled: Promise<void> }

const record = (tokens$: Observable<string>): Recording => {
  const recording: Recording = { tokens: [], completed: false, settled: Promise.resolve() };
  recording.settled = new Promise<void>((resolve) => {
    tokens$.subscribe({
      next: (token) => recording.tokens.push(token),
      error: (error: unknown) => { recording.error = error; resolve(); },
      complete: () => { recording.completed = true; resolve(); },
    });
  });
  return recording;
};

/** Runs one request to the end; fails the test if it takes more than `ms`. */
const run = async (tokens$: Observable<string>, ms = 5000): Promise<Recording> => {
  const recording = record(tokens$);
  await within(recording.settled, ms, 'the stream to end');
  return recording;
};

/** A bounded wait for something that must happen: rejects after `ms` instead of hanging the suite. */
async function within<T>(promise: Promise<T>, ms = 2000, what = 'the awaited event'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms}ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets pending I/O callbacks and promise jobs run (a few event-loop turns, no timer). */
const drainEventLoop = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Splits `text` at the given UTF-16 offsets. */
const splitAt = (text: string, offsets: readonly number[]): string[] =>
  [0, ...offsets].map((start, i) => text.slice(start, offsets[i] ?? text.length));

/** Splits `bytes` at the given byte offsets. */
const splitBytes = (bytes: Buffer, offsets: readonly number[]): Buffer[] =>
  [0, ...offsets].map((start, i) => bytes.subarray(start, offsets[i] ?? bytes.length));

const expertError = (fields: Record<string, unknown>): unknown => expect.objectContaining({ _tag: 'ExpertError', ...fields });

/** Every place an error's text can travel: message, stack, JSON and string forms. */
const textsOf = (error: unknown): string => {
  const e = error as Error;
  return [e.message, e.stack, JSON.stringify(error), String(error)].join('\n');
};

describe('openAICompatibleExpert', () => {
  let server: FakeOpenAIServer | undefined;
  const serve = async (...replies: ScriptedReply[]): Promise<FakeOpenAIServer> => (server = await fakeOpenAIServer(replies));
  const expertAt = (s: FakeOpenAIServer, options: Partial<OpenAICompatibleExpertOptions> = {}) =>
    openAICompatibleExpert({ baseURL: s.baseURL, model: 'm', apiKey: KEY, ...options });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('streaming', () => {
    it('emits the delta contents in order and sends the model, the prompt, stream true, the params and the headers', async () => {
      const s = await serve({ writes: [roleChunk, chunk('Hel'), chunk('lo'), chunk(' world'), chunk(undefined, 'stop'), DONE] });
      const expert = expertAt(s, { params: { temperature: 0.2, max_tokens: 64 }, headers: { 'x-extra': 'yes' } });

      const result = await run(expert.stream(task));

      expect(result).toEqual(expect.objectContaining({ tokens: ['Hel', 'lo', ' world'], completed: true }));
      expect(result.error).toBeUndefined();
      const [request] = s.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/v1/chat/completions');
      expect(JSON.parse(request.body)).toEqual({
        model: 'm', messages: [{ role: 'user', content: PROMPT }], stream: true, stream_options: { include_usage: true }, temperature: 0.2, max_tokens: 64,
      });
      expect(request.headers).toEqual(expect.objectContaining({
        'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${KEY}`, 'x-extra': 'yes',
      }));
    });

    it('posts to one /chat/completions whether baseURL ends with a slash or not, keeping a query string', async () => {
      const s = await serve(...Array.from({ length: 3 }, () => ({ writes: [chunk('ok', 'stop')] })));
      for (const baseURL of [`${s.baseURL}/`, `${s.baseURL}//`, `${s.baseURL}?api-version=2024-10-01`]) {
        expect((await run(expertAt(s, { baseURL }).stream(task))).tokens).toEqual(['ok']);
      }
      expect(s.requests.map((r) => r.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions', '/v1/chat/completions?api-version=2024-10-01']);
    });

    it('sends no authorization header without an apiKey, and lets headers override the defaults', async () => {
      const s = await serve({ writes: [chunk('ok', 'stop')] });
      const expert = openAICompatibleExpert({ baseURL: s.baseURL, model: 'm', headers: { 'api-key': KEY, accept: 'text/event-stream, */*' } });

      await run(expert.stream(task));

      expect(s.requests[0].headers.authorization).toBeUndefined();
      expect(s.requests[0].headers).toEqual(expect.objectContaining({ 'api-key': KEY, accept: 'text/event-stream, */*' }));
    });

    it('reassembles events split mid-line, mid-JSON and between \\r and \\n, each piece arriving alone', async () => {
      const transcript = [roleChunk, chunk('Hel'), chunk('lo'), chunk(' wor'), chunk('ld'), DONE].join('').replace(/\n/g, '\r\n');
      const crlf = transcript.indexOf('\r\n', transcript.indexOf('"lo"'));
      const pieces = splitAt(transcript, [
        3, // 'dat' | 'a: {...'
        transcript.indexOf('"Hel"') + 3, // mid-JSON, mid-string
        crlf + 1, // between \r and \n
        crlf + 3, // between the blank line's \r and \n
        transcript.indexOf('[DON') + 4, // mid-sentinel
      ]);
      const tracker = trackingFetch();
      const s = await serve({ writes: pieces, pace: tracker.received });

      const result = await run(expertAt(s, { fetch: tracker.fetch }).stream(task));

      expect(result.tokens).toEqual(['Hel', 'lo', ' wor', 'ld']);
      expect(result.completed).toBe(true);
      expect(tracker.reads()).toBeGreaterThanOrEqual(pieces.length);
    });

    it('handles a body that arrives one byte per chunk', async () => {
      const transcript = Buffer.from([chunk('a'), ': keep-alive\n\n', chunk('b'), DONE].join(''));
      const tracker = trackingFetch();
      const s = await serve({ writes: splitBytes(transcript, Array.from({ length: transcript.length - 1 }, (_, i) => i + 1)), pace: tracker.received });

      const result = await run(expertAt(s, { fetch: tracker.fetch }).stream(task));

      expect(result).toEqual(expect.objectContaining({ tokens: ['a', 'b'], completed: true }));
      expect(tracker.reads()).toBe(transcript.length);
    });

    it('decodes multi-byte UTF-8 characters split across two chunks', async () => {
      const bytes = Buffer.from([chunk('caf'), chunk('é '), chunk('😀!'), chunk(undefined, 'stop'), DONE].join(''));
      const eAcute = bytes.indexOf(Buffer.from('é'));
      const emoji = bytes.indexOf(Buffer.from('😀'));
      const tracker = trackingFetch();
      const s = await serve({ writes: splitBytes(bytes, [eAcute + 1, emoji + 1, emoji + 3]), pace: tracker.received });

      const result = await run(expertAt(s, { fetch: tracker.fetch }).stream(task));

      expect(result.tokens).toEqual(['caf', 'é ', '😀!']);
      expect(result.tokens.join('')).not.toContain('\uFFFD');
    });

    it('ignores keep-alive comments, role-only and usage-only chunks', async () => {
      const usage = `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { total_tokens: 3 } })}\n\n`;
      const s = await serve({ writes: [': keep-alive\n\n', roleChunk, ':\n\n', chunk('Hi'), ': ping\n\n', usage, chunk('!', 'stop'), DONE] });

      expect(await run(expertAt(s).stream(task))).toEqual(expect.objectContaining({ tokens: ['Hi', '!'], completed: true }));
    });

    it('completes after a finish_reason without [DONE] (once the usage grace is over), ignores what follows, and closes the connection', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo', 'stop'), chunk(' IGNORED')], then: 'stall' });

      const result = await run(expertAt(s, { usageGraceMs: 20 }).stream(task));

      expect(result).toEqual(expect.objectContaining({ tokens: ['Hel', 'lo'], completed: true }));
      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
    });

    it('completes on a last "data: [DONE]" whose blank line never came', async () => {
      const s = await serve({ writes: [chunk('Hel'), 'data: [DONE]'] });

      expect(await run(expertAt(s).stream(task))).toEqual(expect.objectContaining({ tokens: ['Hel'], completed: true }));
    });

    it('makes a new request per subscription, so retry() re-asks the server', async () => {
      const s = await serve({ status: 503 }, { writes: [chunk('second', 'stop')] });

      const result = await run(expertAt(s).stream(task).pipe(retry(1)));

      expect(result.tokens).toEqual(['second']);
      expect(s.requests).toHaveLength(2);
    });
  });

  describe('conversations, params and usage', () => {
    const conversation: ExpertTask['messages'] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What is a binary tree?' },
      { role: 'assistant', content: 'A tree of nodes with two children at most.' },
      { role: 'user', content: PROMPT },
    ];
    afterEach(() => jest.restoreAllMocks());

    /** A task whose usage reports are recorded in `log`, along with the tokens and the end. */
    const logged = (fields: Partial<ExpertTask> = {}) => {
      const log: string[] = [];
      const usage: unknown[] = [];
      const t: ExpertTask = { ...task, ...fields, reportUsage: (reported) => { usage.push(reported); log.push('usage'); } };
      const watch = (tokens$: Observable<string>): Observable<string> => new Observable<string>((subscriber) => tokens$.subscribe({
        next: (token) => { log.push(`next ${token}`); subscriber.next(token); },
        error: (error: unknown) => { log.push('error'); subscriber.error(error); },
        complete: () => { log.push('complete'); subscriber.complete(); },
      }));
      return { task: t, log, usage, watch };
    };

    it('sends the whole conversation, asks for usage, and sends the task\'s params in OpenAI\'s names over the expert\'s own', async () => {
      const s = await serve({ writes: [chunk('ok', 'stop'), DONE] });
      const expert = expertAt(s, { params: { temperature: 0.2, max_tokens: 64, top_p: 0.5, presence_penalty: 1 } });
      const params = { maxTokens: 10, temperature: 0.7, topP: 0.9, stop: ['END', '\n\n'], seed: 42 };

      expect((await run(expert.stream({ ...task, messages: conversation, params }))).completed).toBe(true);

      expect(JSON.parse(s.requests[0].body)).toEqual({
        model: 'm', messages: conversation, stream: true, stream_options: { include_usage: true },
        temperature: 0.7, max_tokens: 10, top_p: 0.9, presence_penalty: 1, stop: ['END', '\n\n'], seed: 42,
      });
    });

    it('keeps the expert\'s own params that the task does not set', async () => {
      const s = await serve({ writes: [chunk('ok', 'stop'), DONE] });
      const expert = expertAt(s, { params: { temperature: 0.2, max_tokens: 64 } });

      await run(expert.stream({ ...task, params: { seed: 7 } }));

      expect(JSON.parse(s.requests[0].body)).toEqual({
        model: 'm', messages: [{ role: 'user', content: PROMPT }], stream: true, stream_options: { include_usage: true },
        temperature: 0.2, max_tokens: 64, seed: 7,
      });
    });

    it('reports the usage chunk that follows the finish chunk, before completing', async () => {
      const s = await serve({ writes: [roleChunk, chunk('Hel'), chunk('lo', 'stop'), usageChunk(31, 2), DONE] });
      const { task: t, log, usage, watch } = logged();

      const result = await run(watch(expertAt(s).stream(t)));

      expect(result).toEqual(expect.objectContaining({ tokens: ['Hel', 'lo'], completed: true }));
      expect(usage).toEqual([{ inputTokens: 31, outputTokens: 2 }]);
      expect(log).toEqual(['next Hel', 'next lo', 'usage', 'complete']);
    });

    it('reads on for a usage chunk that arrives in a later read than the finish chunk', async () => {
      const tracker = trackingFetch();
      const s = await serve({ writes: [chunk('Hel'), chunk('lo', 'stop'), usageChunk(12, 3), DONE], pace: tracker.received });
      const { task: t, usage } = logged();

      const result = await run(expertAt(s, { fetch: tracker.fetch }).stream(t));

      expect(result.completed).toBe(true);
      expect(usage).toEqual([{ inputTokens: 12, outputTokens: 3 }]);
      expect(tracker.reads()).toBeGreaterThanOrEqual(3);
    });

    it('ends at the usage chunk when the server keeps the connection open after it, without waiting for [DONE] or the grace', async () => {
      const s = await serve({ writes: [chunk('Hi', 'stop'), usageChunk(5, 1)], then: 'stall' });
      const { task: t, usage } = logged();

      const result = await run(expertAt(s, { usageGraceMs: 60_000 }).stream(t), 2000);

      expect(result).toEqual(expect.objectContaining({ tokens: ['Hi'], completed: true }));
      expect(usage).toEqual([{ inputTokens: 5, outputTokens: 1 }]);
      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
    });

    it('reports usage sent on the finish chunk itself and ends there', async () => {
      const finishWithUsage = `data: ${JSON.stringify({
        id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm',
        choices: [{ index: 0, delta: { content: '!' }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
      })}\n\n`;
      const s = await serve({ writes: [chunk('Hi'), finishWithUsage], then: 'stall' });
      const { task: t, usage } = logged();

      const result = await run(expertAt(s, { usageGraceMs: 60_000 }).stream(t), 2000);

      expect(result).toEqual(expect.objectContaining({ tokens: ['Hi', '!'], completed: true }));
      expect(usage).toEqual([{ inputTokens: 9, outputTokens: 4 }]);
    });

    it('ends after usageGraceMs without failing when neither a usage chunk nor [DONE] follows the finish, reporting nothing', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo', 'stop')], then: 'stall' });
      const { task: t, log, usage, watch } = logged();

      const result = await run(watch(expertAt(s, { usageGraceMs: 30 }).stream(t)), 2000);

      expect(result.error).toBeUndefined();
      expect(result).toEqual(expect.objectContaining({ tokens: ['Hel', 'lo'], completed: true }));
      expect(usage).toEqual([]);
      expect(log).toEqual(['next Hel', 'next lo', 'complete']);
      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
    });

    it('completes without usage when the body ends right after the finish chunk', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo', 'stop')] });
      const { task: t, usage } = logged();

      expect(await run(expertAt(s, { usageGraceMs: 60_000 }).stream(t), 2000)).toEqual(expect.objectContaining({ tokens: ['Hel', 'lo'], completed: true }));
      expect(usage).toEqual([]);
    });

    it('does not fail an answer for a broken trailer after the finish chunk', async () => {
      const s = await serve(
        { writes: [chunk('Hel'), chunk('lo', 'stop'), 'data: {"usage":{"prompt_tok\n\n', usageChunk(1, 1), DONE] },
        { writes: [chunk('Hel'), chunk('lo', 'stop'), `data: ${JSON.stringify({ error: { type: 'server_error' } })}\n\n`, DONE] },
      );
      for (let i = 0; i < 2; i++) {
        const { task: t, usage } = logged();
        const result = await run(expertAt(s).stream(t));
        expect(result).toEqual(expect.objectContaining({ tokens: ['Hel', 'lo'], completed: true }));
        expect(result.error).toBeUndefined();
        expect(usage).toEqual([]);
      }
    });

    it('reports nothing for a usage chunk whose counts are not whole numbers >= 0', async () => {
      const bad = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: -1, completion_tokens: 2.5 } })}\n\n`;
      const s = await serve({ writes: [chunk('Hi', 'stop'), bad, DONE] });
      const { task: t, usage } = logged();

      expect((await run(expertAt(s).stream(t))).completed).toBe(true);
      expect(usage).toEqual([]);
    });

    it('with includeUsage false, sends no stream_options and ends at the finish chunk', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo', 'stop'), usageChunk(12, 3)], then: 'stall' });
      const { task: t, log, usage, watch } = logged();

      // Were it still waiting for usage, the minute of grace would outlast the bound.
      const result = await run(watch(expertAt(s, { includeUsage: false, usageGraceMs: 60_000 }).stream(t)), 2000);

      expect(result).toEqual(expect.objectContaining({ tokens: ['Hel', 'lo'], completed: true }));
      expect(JSON.parse(s.requests[0].body)).toEqual({ model: 'm', messages: [{ role: 'user', content: PROMPT }], stream: true });
      expect(log).toEqual(['next Hel', 'next lo', 'complete']);
      expect(usage).toEqual([]);
      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
    });

    it('closes the connection and clears its grace timer when unsubscribed while waiting for the usage', async () => {
      const setTimer = jest.spyOn(globalThis, 'setTimeout');
      const clearTimer = jest.spyOn(globalThis, 'clearTimeout');
      const s = await serve({ writes: [chunk('Hi', 'stop')], then: 'stall' });
      const { task: t, log, usage, watch } = logged();
      let reached: () => void = () => undefined;
      const answered = new Promise<void>((resolve) => (reached = resolve));
      const subscription = watch(expertAt(s, { usageGraceMs: 60_000 }).stream(t)).subscribe(() => reached());
      await within(answered, 2000, 'the answer');
      // Let the reader reach the grace wait after the finish chunk.
      await drainEventLoop();

      subscription.unsubscribe();

      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
      await drainEventLoop();
      const graces = setTimer.mock.results.filter((_, i) => setTimer.mock.calls[i]?.[1] === 60_000).map((result) => result.value as unknown);
      expect(graces).toHaveLength(1);
      expect(clearTimer.mock.calls.map(([handle]) => handle as unknown)).toContain(graces[0]);
      expect(log).toEqual(['next Hi']);
      expect(usage).toEqual([]);
    });
  });

  describe('HTTP errors', () => {
    it('fails a 429 with Retry-After: 2 as retriable, retryAfterMs 2000', async () => {
      const s = await serve({ status: 429, headers: { 'retry-after': '2' }, writes: ['{"error":{"message":"Rate limit reached"}}'] });

      const { error, tokens } = await run(expertAt(s).stream(task));

      expect(tokens).toEqual([]);
      expect(ExpertError.isInstance(error)).toBe(true);
      expect(error).toEqual(expertError({ message: 'HTTP 429', status: 429, retriable: true, retryAfterMs: 2000, failure: 'http', expertId: 'm' }));
    });

    it('reads an HTTP-date Retry-After on a 503 as the wait until that date', async () => {
      const s = await serve({ status: 503, headers: { 'retry-after': new Date(Date.now() + 120_000).toUTCString() } });

      const { error } = await run(expertAt(s).stream(task));

      expect(error).toEqual(expertError({ message: 'HTTP 503', status: 503, retriable: true }));
      const { retryAfterMs } = error as ExpertError;
      expect(retryAfterMs).toBeGreaterThan(110_000);
      expect(retryAfterMs).toBeLessThanOrEqual(120_000);
    });

    it('fails a 401 as not retriable, without the body or the key in the message', async () => {
      const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}. Prompt: ${PROMPT}`, type: 'invalid_request_error' } });
      const s = await serve({ status: 401, writes: [body] });

      const { error } = await run(expertAt(s).stream(task));

      expect(error).toEqual(expertError({ message: 'HTTP 401', status: 401, retriable: false, retryAfterMs: undefined }));
      expect(textsOf(error)).not.toContain(KEY);
      expect(textsOf(error)).not.toContain('Incorrect API key');
      expect(textsOf(error)).not.toContain(PROMPT);
    });

    it('fails a 200 JSON answer (a server that ignored stream: true) as a protocol error', async () => {
      const s = await serve({ headers: { 'content-type': 'application/json' }, writes: ['{"id":"x","choices":[{"message":{"content":"hi"}}]}'] });

      expect((await run(expertAt(s).stream(task))).error).toEqual(expertError({ failure: 'protocol', retriable: false }));
    });
  });

  describe('errors inside the stream', () => {
    it.each([
      ['server_error', true, { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null }],
      ['rate_limit_exceeded', true, { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' }],
      ['overloaded_error', true, { type: 'overloaded_error', message: 'Overloaded' }],
      ['server_error', true, { code: 500, message: 'llama.cpp: failed to decode', type: 'server_error' }],
      ['context_length_exceeded', false, { message: 'This model\'s maximum context length is 8192 tokens.', type: 'invalid_request_error', code: 'context_length_exceeded' }],
      ['BadRequestError', false, { object: 'error', message: 'vLLM: bad input', type: 'BadRequestError', param: null, code: 400 }],
    ])('fails on an error object (%s, retriable %s) after the tokens before it', async (label, retriable, errorObject) => {
      const s = await serve({ writes: [chunk('Hel'), `data: ${JSON.stringify({ error: errorObject })}\n\n`, chunk('never')], then: 'stall' });

      const { tokens, error } = await run(expertAt(s).stream(task));

      expect(tokens).toEqual(['Hel']);
      expect(error).toEqual(expertError({ retriable, failure: 'http', status: undefined }));
      expect((error as Error).message).toContain(label);
      expect((error as Error).message).not.toContain(errorObject.message);
    });

    it('fails on malformed JSON with a protocol error, not retriable, after the tokens before it', async () => {
      const s = await serve({ writes: [chunk('Hel'), 'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"lo"}\n\n', chunk('never'), DONE] });

      const { tokens, error } = await run(expertAt(s).stream(task));

      expect(tokens).toEqual(['Hel']);
      expect(error).toEqual(expertError({ failure: 'protocol', retriable: false }));
    });
  });

  describe('connection failures', () => {
    it('fails a body that ends before [DONE] or a finish_reason as a retriable network error, never a short answer', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo')] });

      const result = await run(expertAt(s).stream(task));

      expect(result.tokens).toEqual(['Hel', 'lo']);
      expect(result.completed).toBe(false);
      expect(result.error).toEqual(expertError({ failure: 'network', retriable: true, message: 'Connection closed before the end of the answer' }));
    });

    it('fails a body cut in the middle of an event as a network error, not a protocol error', async () => {
      const s = await serve({ writes: [chunk('Hel'), 'data: {"id":"chatcmpl-1","choi'] });

      const { tokens, error } = await run(expertAt(s).stream(task));

      expect(tokens).toEqual(['Hel']);
      expect(error).toEqual(expertError({ failure: 'network', retriable: true }));
    });

    it('fails a mid-stream disconnect (socket destroyed after two chunks) as retriable network error, after the two tokens', async () => {
      const tracker = trackingFetch();
      const s = await serve({ writes: [chunk('Hel'), chunk('lo')], pace: tracker.received, then: 'destroy' });

      const result = await run(expertAt(s, { fetch: tracker.fetch }).stream(task));

      expect(result.tokens).toEqual(['Hel', 'lo']);
      expect(result.error).toEqual(expertError({ failure: 'network', retriable: true, status: undefined }));
      expect((result.error as Error).message).toMatch(/^Connection closed before the end of the answer/);
    });

    it('fails when the server cannot be reached as a retriable network error', async () => {
      const s = await fakeOpenAIServer([]);
      const { baseURL } = s;
      await s.close(); // nothing listens on that port any more

      const { error } = await run(openAICompatibleExpert({ baseURL, model: 'm', apiKey: KEY }).stream(task));

      expect(error).toEqual(expertError({ failure: 'network', retriable: true }));
      expect((error as Error).message).toMatch(/^Request failed before the answer began/);
      expect(textsOf(error)).not.toContain(KEY);
      expect(textsOf(error)).not.toContain(baseURL);
    });
  });

  describe('unsubscribing', () => {
    it('closes the connection at once while the server stalls between chunks, and emits nothing after', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo')], then: 'stall' });
      const seen: string[] = [];
      let reached: () => void = () => undefined;
      const twoTokens = new Promise<void>((resolve) => (reached = resolve));
      const subscription = expertAt(s).stream(task).subscribe({
        next: (token) => {
          seen.push(`next ${token}`);
          if (seen.length === 2) reached();
        },
        error: (error: unknown) => seen.push(`error ${String(error)}`),
        complete: () => seen.push('complete'),
      });
      await within(twoTokens, 2000, 'the first two tokens');

      subscription.unsubscribe();

      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
      await drainEventLoop();
      expect(seen).toEqual(['next Hel', 'next lo']);
    });

    it('closes the connection when unsubscribed before the server answered', async () => {
      const s = await serve({ silent: true });
      const seen: string[] = [];
      const subscription = expertAt(s).stream(task).subscribe({
        next: (token) => seen.push(token),
        error: () => seen.push('error'),
        complete: () => seen.push('complete'),
      });
      const request = await within(s.request(0), 2000, 'the request reaching the server');

      subscription.unsubscribe();

      await within(request.closed, 2000, 'the server seeing the connection close');
      await drainEventLoop();
      expect(seen).toEqual([]);
    });

    it('closes the connection between chunks even with an injected fetch that ignores the abort signal', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo')], then: 'stall' });
      const deaf = (input: string, init: RequestInit): Promise<Response> => globalThis.fetch(input, { ...init, signal: undefined });
      const seen: string[] = [];
      let reached: () => void = () => undefined;
      const twoTokens = new Promise<void>((resolve) => (reached = resolve));
      const subscription = expertAt(s, { fetch: deaf }).stream(task).subscribe({
        next: (token) => {
          seen.push(token);
          if (seen.length === 2) reached();
        },
        error: () => seen.push('error'),
        complete: () => seen.push('complete'),
      });
      await within(twoTokens, 2000, 'the first two tokens');

      subscription.unsubscribe();

      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
      await drainEventLoop();
      expect(seen).toEqual(['Hel', 'lo']);
    });

    it('closes the connection when the consumer takes the first token only', async () => {
      const s = await serve({ writes: [chunk('Hel'), chunk('lo')], then: 'stall' });

      expect(await within(firstValueFrom(expertAt(s).stream(task)))).toBe('Hel');
      expect(await within(s.requests[0].closed, 2000, 'the server seeing the connection close')).toEqual({ aborted: true });
    });
  });

  describe('the API key', () => {
    it('appears in no error message, stack or JSON form, whatever the failure', async () => {
      const echo = `{"error":{"message":"bad key ${KEY}","type":"invalid_request_error"}}`;
      const s = await serve(
        { status: 401, writes: [echo] },
        { status: 500, writes: [echo] },
        { writes: [`data: ${echo}\n\n`] },
        { writes: [`data: {"broken ${KEY}\n\n`] },
        { writes: [chunk('Hel')] },
      );
      const expert = expertAt(s);
      const errors: unknown[] = [];
      for (let i = 0; i < 5; i++) errors.push((await run(expert.stream(task))).error);

      expect(errors.every((e) => ExpertError.isInstance(e))).toBe(true);
      for (const error of errors) expect(textsOf(error)).not.toContain(KEY);
      expect(JSON.stringify(expert)).not.toContain(KEY);
    });

    it('is not quoted by the TypeError for an apiKey a header cannot carry', () => {
      const bad = `${KEY}\r\nx-injected: 1`;
      expect(() => openAICompatibleExpert({ baseURL: 'http://127.0.0.1:1/v1', model: 'm', apiKey: bad })).toThrow(TypeError);
      try {
        openAICompatibleExpert({ baseURL: 'http://127.0.0.1:1/v1', model: 'm', apiKey: bad });
      } catch (error) {
        expect(textsOf(error)).not.toContain(KEY);
      }
    });
  });

  describe('options', () => {
    it('defaults id to the model and version to "1", and exposes the params', () => {
      const expert = openAICompatibleExpert({ baseURL: 'http://localhost:11434/v1', model: 'llama3.2', params: { temperature: 0 } });
      expect(expert).toEqual(expect.objectContaining({ id: 'llama3.2', model: 'llama3.2', version: '1', params: { temperature: 0 } }));
      expect(openAICompatibleExpert({ id: 'fast', baseURL: 'https://api.groq.com/openai/v1', model: 'llama', version: '2' }))
        .toEqual(expect.objectContaining({ id: 'fast', version: '2' }));
    });

    it('does nothing until subscribed', async () => {
      const s = await serve({ writes: [chunk('ok', 'stop')] });
      const tokens$ = expertAt(s).stream(task);
      await drainEventLoop();
      expect(s.requests).toHaveLength(0);
      expect((await run(tokens$)).tokens).toEqual(['ok']);
    });

    const valid = { baseURL: 'http://127.0.0.1:8000/v1', model: 'm' };
    it.each<[string, unknown]>([
      ['a missing options object', undefined],
      ['a baseURL that is not a URL', { ...valid, baseURL: 'not a url' }],
      ['a non-http(s) baseURL', { ...valid, baseURL: 'ftp://example.com/v1' }],
      ['a baseURL with credentials', { ...valid, baseURL: 'https://user:secret@example.com/v1' }],
      ['an empty model', { ...valid, model: ' ' }],
      ['a missing model', { baseURL: valid.baseURL }],
      ['an empty id', { ...valid, id: '' }],
      ['headers that are not an object', { ...valid, headers: 'x-a: 1' }],
      ['headers as an array', { ...valid, headers: [['x-a', '1']] }],
      ['a header value that is not a string', { ...valid, headers: { 'x-a': 1 } }],
      ['an invalid header name', { ...valid, headers: { 'bad name': 'v' } }],
      ['params that are not an object', { ...valid, params: 'temperature=0' }],
      ['params turning streaming off', { ...valid, params: { stream: false } }],
      ['params with messages', { ...valid, params: { messages: [] } }],
      ['a fetch that is not a function', { ...valid, fetch: 'fetch' }],
      ['an includeUsage that is not a boolean', { ...valid, includeUsage: 'yes' }],
      ['a negative usageGraceMs', { ...valid, usageGraceMs: -1 }],
      ['a NaN usageGraceMs', { ...valid, usageGraceMs: Number.NaN }],
    ])('throws a TypeError for %s', (_, options) => {
      expect(() => openAICompatibleExpert(options as OpenAICompatibleExpertOptions)).toThrow(TypeError);
    });

    it('does not quote a baseURL or a header value in its TypeErrors', () => {
      const messages = [
        () => openAICompatibleExpert({ baseURL: `https://user:${KEY}@example.com/v1`, model: 'm' }),
        () => openAICompatibleExpert({ baseURL: `ftp://example.com/?key=${KEY}`, model: 'm' }),
        () => openAICompatibleExpert({ ...valid, headers: { 'x-key': `${KEY}\nx-injected: 1` } }),
      ].map((create) => {
        try {
          create();
          return 'no error';
        } catch (error) {
          return textsOf(error);
        }
      });
      for (const message of messages) {
        expect(message).toMatch(/^openAICompatibleExpert: /);
        expect(message).not.toContain(KEY);
      }
    });
  });
});
