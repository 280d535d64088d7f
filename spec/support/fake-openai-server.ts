/**
 * A real HTTP server on 127.0.0.1 (port 0) that speaks the OpenAI chat completions streaming wire
 * format, with one scripted reply per request, for testing `openAICompatibleExpert` end to end.
 *
 *     const server = await fakeOpenAIServer([{ writes: [chunk('Hel'), chunk('lo', 'stop'), DONE] }]);
 *     openAICompatibleExpert({ baseURL: server.baseURL, model: 'm' })...
 *     await server.close();   // in afterEach: also destroys the connections left open
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply. A 200 reply gets `text/event-stream` headers and chunked transfer unless `headers` say otherwise. */
export interface ScriptedReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Written one `write` (one HTTP chunk) each, in order. */
  readonly writes?: ReadonlyArray<string | Uint8Array>;
  /** After the writes: end the response (default), destroy the socket mid-body, or stall (send nothing more). */
  readonly then?: 'end' | 'destroy' | 'stall';
  /** Never answer at all, not even the status line. */
  readonly silent?: boolean;
  /** Awaited after each write with the body bytes written so far, before the next write (see `trackingFetch`). */
  readonly pace?: (bytesWritten: number) => Promise<void>;
}

/** A request as the server received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Resolves when the server sees the response's 'close' (the connection ended or the answer was sent); `aborted` when it ended first. */
  readonly closed: Promise<{ aborted: boolean }>;
}

/** The running server. */
export interface FakeOpenAIServer {
  /** `http://127.0.0.1:<port>/v1` */
  readonly baseURL: string;
  readonly requests: readonly ReceivedRequest[];
  /** Resolves with the `n`-th request (0-based) once the server has read its whole body. */
  request(n: number): Promise<ReceivedRequest>;
  /** Destroys every open connection and stops listening. */
  close(): Promise<void>;
}

/** The exact OpenAI chunk for `content` (a delta with no content when undefined), as one SSE message. */
export const chunk = (content: string | undefined, finishReason: string | null = null): string =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm',
    choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finishReason }],
  })}\n\n`;

/** The role-only first chunk OpenAI sends. */
export const roleChunk = `data: ${JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm',
  choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
})}\n\n`;

/** The usage chunk OpenAI sends after the finish chunk with `stream_options: { include_usage: true }` (empty `choices`). */
export const usageChunk = (promptTokens: number, completionTokens: number): string => `data: ${JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [],
  usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
})}\n\n`;

/** The end-of-stream sentinel. */
export const DONE = 'data: [DONE]\n\n';

/** Starts a server answering the n-th request with `replies[n]` (a 500 when the script ran out). */
export async function fakeOpenAIServer(replies: readonly ScriptedReply[]): Promise<FakeOpenAIServer> {
  const requests: ReceivedRequest[] = [];
  let started = 0;
  let waiters: Array<{ n: number; resolve: (request: ReceivedRequest) => void }> = [];
  const server = http.createServer((req, res) => {
    const reply = replies[started++] ?? { status: 500, writes: ['{"error":"no scripted reply"}'] };
    const closed = new Promise<{ aborted: boolean }>((resolve) => res.once('close', () => resolve({ aborted: !res.writableFinished })));
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.once('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString('utf8'), closed });
      waiters.filter((w) => w.n < requests.length).forEach((w) => w.resolve(requests[w.n]));
      waiters = waiters.filter((w) => w.n >= requests.length);
      void answer(reply, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    request: (n) => (n < requests.length ? Promise.resolve(requests[n]) : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}

async function answer(reply: ScriptedReply, res: http.ServerResponse): Promise<void> {
  if (reply.silent === true) return;
  const status = reply.status ?? 200;
  const defaults: Record<string, string> = status === 200
    ? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }
    : { 'content-type': 'application/json' };
  res.writeHead(status, { ...defaults, ...reply.headers });
  res.flushHeaders();
  let written = 0;
  for (const piece of reply.writes ?? []) {
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(piece, () => resolve()));
    written += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength;
    await reply.pace?.(written);
  }
  if (res.destroyed) return;
  if (reply.then === 'destroy') res.socket?.destroy();
  else if (reply.then !== 'stall') res.end();
}

/** A fetch that records the body bytes the client received, so a server can wait until each write has arrived alone. */
export interface TrackingFetch {
  readonly fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** How many reads the body took on the client. */
  readonly reads: () => number;
  /** Resolves once the client has received `bytes` body bytes: pass `pace: tracker.received` to the reply. */
  readonly received: (bytes: number) => Promise<void>;
}

/** Wraps the global fetch; the response body is the real one, read through one extra stream. */
export function trackingFetch(): TrackingFetch {
  let bytes = 0;
  let reads = 0;
  let waiters: Array<{ bytes: number; resolve: () => void }> = [];
  const arrived = (n: number): void => {
    bytes += n;
    reads++;
    const due = waiters.filter((w) => w.bytes <= bytes);
    waiters = waiters.filter((w) => w.bytes > bytes);
    due.forEach((w) => w.resolve());
  };
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const response = await globalThis.fetch(input, init);
    if (response.body === null) return response;
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await reader.read();
        if (next.done) return controller.close();
        arrived(next.value.byteLength);
        controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return {
    fetch,
    reads: () => reads,
    received: (n) => (bytes >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ bytes: n, resolve }))),
  };
}
