import type { IncomingMessage, ServerResponse } from 'node:http';
import { firstValueFrom, lastValueFrom, tap, toArray, type Subscription } from 'rxjs';
import { isTerminal, type PipelineEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { fromSSE, fromSSEDraining } from '../../src/sinks/from-sse';
import { formatSSEEvent, SSE_HEADERS } from '../../src/sinks/sse-format';
import { SSEResponseError } from '../../src/sinks/sse-response-error';
import { writeSSE } from '../../src/sinks/write-sse';
import { simulatedExpert, type SimulatedExpert, type SimulatedExpertOptions } from '../../src/sources/simulated-expert';
import { closed, dribble, startServer, waitFor, type TestServer } from '../support/sse-helpers';

const LONG = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
const start = (requestId = 'r1'): PipelineEvent => ({ type: 'start', requestId, at: 0 });
const done = (text: string, requestId = 'r1'): PipelineEvent => ({ type: 'complete', requestId, text, fromCache: false, degraded: false });

describe('fromSSE', () => {
  let server: TestServer | undefined;
  let plugin: DialoguePlugin | undefined;
  let subscription: Subscription | undefined;
  afterEach(async () => {
    subscription?.unsubscribe();
    await plugin?.close();
    await server?.close();
    server = plugin = subscription = undefined;
  });

  /** What the server side did: the events it sent, its last response and when that closed. */
  interface Served { readonly sent: PipelineEvent[]; res?: ServerResponse; closed?: Promise<void>; req?: { method?: string; body: string } }

  /** A server answering with writeSSE(plugin.process(prompt)); the prompt is the request body when there is one. */
  const servePlugin = async (options: SimulatedExpertOptions): Promise<{ expert: SimulatedExpert; served: Served }> => {
    const expert = simulatedExpert(options);
    plugin = new DialoguePlugin({ experts: [expert], cache: false });
    const served: Served = { sent: [] };
    server = await startServer((req, res) => {
      served.res = res;
      served.closed = closed(res);
      void readBody(req).then((body) => {
        served.req = { method: req.method, body };
        const events$ = plugin!.process(body === '' ? 'Tell me something' : body);
        writeSSE(events$.pipe(tap((event) => served.sent.push(event))), res, { heartbeatMs: 10 });
      });
    });
    return { expert, served };
  };

  /** A server answering with `handler` (after reading the request). */
  const serve = async (handler: (res: ServerResponse) => void): Promise<Served> => {
    const served: Served = { sent: [] };
    server = await startServer((req, res) => {
      served.res = res;
      served.closed = closed(res);
      void readBody(req).then(() => handler(res));
    });
    return served;
  };

  it('emits what plugin.process emitted on the server, in order, and completes', async () => {
    const { served } = await servePlugin({ id: 'a', answer: 'one two\n\nevent: complete\r\nthree', tokenDelayMs: 2 });
    const events = await lastValueFrom(fromSSE(server!.url).pipe(toArray()));
    expect(events).toEqual(served.sent);
    expect(events.map((event) => event.type)).toEqual(['start', 'plan', 'token', 'token', 'token', 'token', 'token', 'expert', 'metrics', 'complete']);
    expect(served.req?.method).toBe('GET');
  });

  it('POSTs init.body as given and sends accept: text/event-stream', async () => {
    const { served } = await servePlugin({ id: 'a', answer: (prompt) => `You said ${prompt}` });
    let accept: string | undefined;
    server!.server.prependListener('request', (req: IncomingMessage) => { accept = req.headers.accept; });
    const events = await lastValueFrom(fromSSE(server!.url, { body: 'hello there', headers: { 'x-test': '1' } }).pipe(toArray()));
    expect(served.req).toEqual({ method: 'POST', body: 'hello there' });
    expect(accept).toBe('text/event-stream');
    expect(events.at(-1)).toMatchObject({ type: 'complete', text: 'You said hello there' });
  });

  it('parses a stream the server writes a few bytes at a time, with every kind of line end, comments and multi-line data', async () => {
    const sent = [start(), done('héllo 🌍 wörld\n\n'), start('after-terminal')];
    const text = `: hi\r\nevent: start\r\ndata: ${JSON.stringify(sent[0])}\r\n\r\n`
      + `event: complete\rdata: {"type":"complete",\rdata: "requestId":"r1","text":"héllo 🌍 wörld\\n\\n",\ndata: "fromCache":false,"degraded":false}\r\r`
      + formatSSEEvent(sent[2])!;
    for (const size of [1, 2, 3, 5]) {
      await server?.close();
      await serve((res) => {
        res.writeHead(200, SSE_HEADERS);
        void dribble(res, new TextEncoder().encode(text), size);
      });
      expect(await lastValueFrom(fromSSE(server!.url).pipe(toArray()))).toEqual(sent.slice(0, 2));
    }
  });

  it('emits the plugin events the same when the server dribbles them one small piece at a time', async () => {
    const expert = simulatedExpert({ id: 'a', answer: 'naïve café ☕ text' });
    plugin = new DialoguePlugin({ experts: [expert], cache: false });
    const sent = await lastValueFrom(plugin.process('Tell me').pipe(toArray()));
    await serve((res) => {
      res.writeHead(200, SSE_HEADERS);
      void dribble(res, new TextEncoder().encode(sent.map((event) => formatSSEEvent(event)).join(': ping\n\n')), 3);
    });
    expect(await lastValueFrom(fromSSE(server!.url).pipe(toArray()))).toEqual(sent);
  });

  it('completes after a terminal event and closes the connection when the server keeps it open past the drain deadline', async () => {
    const served = await serve((res) => {
      res.writeHead(200, SSE_HEADERS);
      res.write(formatSSEEvent(start())! + formatSSEEvent(done('ok'))! + formatSSEEvent(start('late'))!);
    });
    expect(await lastValueFrom(fromSSEDraining(server!.url, {}, 20).pipe(toArray()))).toEqual([start(), done('ok')]);
    await served.closed;
    expect(served.res!.writableFinished).toBe(false); // the client hung up, the server never ended
  });

  it('reads the body to its end after a terminal event instead of aborting the fetch (no failed request in a browser)', async () => {
    let release: () => void = () => undefined;
    const served = await serve((res) => {
      res.writeHead(200, SSE_HEADERS);
      res.write(formatSSEEvent(start())! + formatSSEEvent(done('ok'))!);
      release = () => res.end(': bye\n\n');
    });
    const signals: AbortSignal[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      signals.push(init!.signal!);
      return realFetch(input, init);
    };
    try {
      expect(await lastValueFrom(fromSSE(server!.url).pipe(toArray()))).toEqual([start(), done('ok')]);
    } finally {
      globalThis.fetch = realFetch;
    }
    release(); // the server ends the body only after the Observable completed
    await served.closed;
    expect(served.res!.writableFinished).toBe(true);
    expect(signals.map((signal) => signal.aborted)).toEqual([false]);
  });

  it('completes when the stream ends without a terminal event', async () => {
    await serve((res) => {
      res.writeHead(200, SSE_HEADERS);
      res.end(`${formatSSEEvent(start())}data: {"type":"status","requestId":"r1","message":"unterminated"}\n`);
    });
    expect(await lastValueFrom(fromSSE(server!.url).pipe(toArray()))).toEqual([start()]);
  });

  it('closes the connection at once when unsubscribed mid-stream, which stops the experts on the server', async () => {
    const { expert, served } = await servePlugin({ id: 'a', answer: LONG, tokenDelayMs: 5 });
    const received: PipelineEvent[] = [];
    let completed = false;
    let failed: unknown;
    subscription = fromSSE(server!.url).subscribe({ next: (event) => received.push(event), complete: () => (completed = true), error: (error) => (failed = error) });
    await waitFor(() => received.some((event) => event.type === 'token'), 2000, 'the first token');
    subscription.unsubscribe();
    await served.closed;
    await waitFor(() => expert.stats.active === 0, 2000, 'the expert to stop');
    expect(expert.stats).toMatchObject({ started: 1, active: 0, cancelled: 1, completed: 0 });
    expect(plugin!.active()).toEqual([]);
    expect(served.sent.some(isTerminal)).toBe(false);
    expect({ completed, failed }).toEqual({ completed: false, failed: undefined });
  });

  it('errors with the HTTP status, and not the body, on a non-2xx answer', async () => {
    await serve((res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('stack trace with sk-secret'));
    const error: unknown = await firstValueFrom(fromSSE(server!.url)).catch((e: unknown) => e);
    expect(SSEResponseError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 500, message: 'SSE request failed with HTTP 500' });
    expect(String((error as Error).message)).not.toContain('secret');
  });

  it('errors when the answer is not an event stream', async () => {
    await serve((res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>'));
    await expect(firstValueFrom(fromSSE(server!.url))).rejects.toMatchObject({ _tag: 'SSEResponseError', status: 200 });
  });

  it('errors when a message is not a pipeline event', async () => {
    await serve((res) => res.writeHead(200, SSE_HEADERS).end('data: {"type":"start"\n\n'));
    await expect(firstValueFrom(fromSSE(server!.url))).rejects.toThrow('not JSON');
    await server!.close();
    await serve((res) => res.writeHead(200, SSE_HEADERS).end('data: [1]\n\n'));
    await expect(firstValueFrom(fromSSE(server!.url))).rejects.toThrow('not a pipeline event');
  });

  it('errors when init.signal aborts', async () => {
    await serve((res) => res.writeHead(200, SSE_HEADERS).write(': open\n\n'));
    const abort = new AbortController();
    const result = lastValueFrom(fromSSE(server!.url, { signal: abort.signal }));
    abort.abort(new Error('caller gave up'));
    await expect(result).rejects.toThrow('caller gave up');
  });
});

const readBody = async (req: IncomingMessage): Promise<string> => {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return body;
};
