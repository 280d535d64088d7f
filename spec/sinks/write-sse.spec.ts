import type { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { concat, of, tap, throwError, VirtualTimeScheduler, type Observable, type Subscription } from 'rxjs';
import { isTerminal, type CompleteEvent, type PipelineEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { SSEOptions } from '../../src/sinks/sse-format';
import { writeSSE } from '../../src/sinks/write-sse';
import { simulatedExpert, type SimulatedExpert } from '../../src/sources/simulated-expert';
import { noGuard } from '../../src/strategies/output-guard';
import { closed, count, parseStrict, startServer, TextReader, waitFor, type TestServer } from '../support/sse-helpers';

/** An answer whose text tries to end its message early and forge a `complete` event. */
const FORGERY = 'Hello\n\nevent: complete\ndata: {"type":"complete","requestId":"x","text":"forged","fromCache":false,"degraded":false}\n\n'
  + 'more\rtext\r\nand\u2028line\u2029sep done';
const LONG = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');

describe('writeSSE', () => {
  let server: TestServer | undefined;
  let plugin: DialoguePlugin | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.destroy();
    await plugin?.close();
    await server?.close();
    server = plugin = socket = undefined;
  });

  /** What the server side of one request did. */
  interface Served { readonly sent: PipelineEvent[]; res?: ServerResponse; closed?: Promise<void>; subscription?: Subscription }

  /** Serves `events$()` (default: the plugin's events for one prompt) with writeSSE, recording what it sent. */
  const serve = async (options: SSEOptions = {}, events$?: () => Observable<PipelineEvent>): Promise<Served> => {
    const served: Served = { sent: [] };
    server = await startServer((_req, res) => {
      served.res = res;
      served.closed = closed(res);
      const source$ = events$?.() ?? plugin!.process('Tell me something');
      served.subscription = writeSSE(source$.pipe(tap((event) => served.sent.push(event))), res, options);
    });
    return served;
  };

  const withExpert = (expert: SimulatedExpert, guard = false): SimulatedExpert => {
    plugin = new DialoguePlugin({ experts: [expert], cache: false, ...(guard ? {} : { guard: noGuard }) });
    return expert;
  };

  it('sends the SSE headers, then exactly one event/data message per event, and ends with the stream', async () => {
    withExpert(simulatedExpert({ id: 'a', answer: 'one two three', tokenDelayMs: 1 }), true);
    const served = await serve();
    const response = await fetch(server!.url);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(['content-type', 'cache-control', 'connection', 'x-accel-buffering'].map((h) => [h, response.headers.get(h)]))).toEqual({
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no',
    });
    const { events } = parseStrict(await new TextReader(response.body!.getReader()).all());
    expect(events).toEqual(served.sent);
    expect(events.map((event) => event.type)).toEqual(['start', 'plan', 'token', 'token', 'token', 'expert', 'metrics', 'complete']);
  });

  it('cannot be made to forge or split events by token text with blank lines, event lines and \\r', async () => {
    withExpert(simulatedExpert({ id: 'a', answer: FORGERY, tokenDelayMs: 1 }));
    const served = await serve();
    const raw = await new TextReader((await fetch(server!.url)).body!.getReader()).all();
    const { events } = parseStrict(raw);
    expect(events).toEqual(served.sent);
    expect(served.sent.some((event) => event.type === 'token' && event.text.includes('\r'))).toBe(true);
    expect(events.filter(isTerminal)).toEqual([events.at(-1)]);
    expect((events.at(-1) as CompleteEvent).text).toBe(FORGERY);
    expect(raw).not.toMatch(/[\r\u2028\u2029]/);
  });

  it('skips events whose type is not a safe event name', async () => {
    const start: PipelineEvent = { type: 'start', requestId: 'r1', at: 0 };
    const end: PipelineEvent = { type: 'cancelled', requestId: 'r1', reason: 'x' };
    const bad = { type: 'token\ndata: {}', requestId: 'r1' } as unknown as PipelineEvent;
    await serve({}, () => of(start, bad, end));
    const raw = await new TextReader((await fetch(server!.url)).body!.getReader()).all();
    expect(parseStrict(raw).events).toEqual([start, end]);
  });

  it('sends a generic error event and ends the response when the events error', async () => {
    const start: PipelineEvent = { type: 'start', requestId: 'r9', at: 0 };
    await serve({}, () => concat(of(start), throwError(() => new Error('password=hunter2'))));
    const raw = await new TextReader((await fetch(server!.url)).body!.getReader()).all();
    expect(parseStrict(raw).events).toEqual([start, { type: 'error', requestId: 'r9', error: { kind: 'system', message: 'The event stream failed', user: false } }]);
    expect(raw).not.toContain('hunter2');
  });

  it('sends heartbeat comments every heartbeatMs while the experts are silent', async () => {
    withExpert(simulatedExpert({ id: 'a', faults: [{ error: 'stall' }] }));
    await serve({ heartbeatMs: 20 });
    const abort = new AbortController();
    const reader = new TextReader((await fetch(server!.url, { signal: abort.signal })).body!.getReader());
    await reader.until((text) => count(text, ': ping') >= 1);
    const first = performance.now();
    await reader.until((text) => count(text, ': ping') >= 4);
    expect(performance.now() - first).toBeGreaterThanOrEqual(3 * 20 - 10);
    const { events, pings } = parseStrict(reader.text);
    expect(events.map((event) => event.type)).toEqual(['start', 'plan']);
    expect(pings).toBe(4);
    abort.abort();
  });

  it('times the heartbeat on the injected scheduler', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 100);
    withExpert(simulatedExpert({ id: 'a', faults: [{ error: 'stall' }] }));
    await serve({ heartbeatMs: 20, scheduler });
    const abort = new AbortController();
    const reader = new TextReader((await fetch(server!.url, { signal: abort.signal })).body!.getReader());
    await reader.until((text) => text.includes('event: plan'));
    expect(count(reader.text, ': ping')).toBe(0);
    scheduler.flush(); // virtual 0..100 ms: pings at 20, 40, 60, 80 and 100
    await reader.until((text) => count(text, ': ping') >= 5);
    expect(parseStrict(reader.text).pings).toBe(5);
    abort.abort();
  });

  it('stops the experts when the client disconnects mid-stream', async () => {
    const expert = withExpert(simulatedExpert({ id: 'a', answer: LONG, tokenDelayMs: 5 }));
    const served = await serve({ heartbeatMs: 20 });
    const abort = new AbortController();
    const reader = new TextReader((await fetch(server!.url, { signal: abort.signal })).body!.getReader());
    await reader.until((text) => text.includes('event: token'));
    expect(plugin!.active()).toHaveLength(1);
    abort.abort();
    await served.closed;
    await waitFor(() => expert.stats.active === 0, 2000, 'the expert to stop');
    expect(expert.stats).toMatchObject({ started: 1, active: 0, cancelled: 1, completed: 0 });
    expect(plugin!.active()).toEqual([]);
    expect(served.sent.some(isTerminal)).toBe(false);
  });

  it('stops the experts and ends the response when its subscription is unsubscribed', async () => {
    const expert = withExpert(simulatedExpert({ id: 'a', answer: LONG, tokenDelayMs: 5 }));
    const served = await serve();
    const reader = new TextReader((await fetch(server!.url)).body!.getReader());
    await reader.until((text) => text.includes('event: token'));
    served.subscription!.unsubscribe();
    const { events } = parseStrict(await reader.all());
    expect(events).toEqual(served.sent);
    expect(expert.stats).toMatchObject({ active: 0, cancelled: 1 });
    expect(plugin!.active()).toEqual([]);
  });

  it('does not start the request when the client left before writeSSE was called', async () => {
    const expert = withExpert(simulatedExpert({ id: 'a', answer: LONG }));
    let received = false;
    let late: Subscription | undefined;
    server = await startServer((_req, res) => {
      received = true;
      void closed(res).then(() => (late = writeSSE(plugin!.process('Too late'), res)));
    });
    const abort = new AbortController();
    const request = fetch(server.url, { signal: abort.signal }).catch(() => undefined);
    await waitFor(() => received, 2000, 'the request');
    abort.abort();
    await request;
    await waitFor(() => late !== undefined, 2000, 'writeSSE to be called');
    expect(late!.closed).toBe(true);
    expect(expert.stats.started).toBe(0);
  });

  it('gives up on a client that stops reading once maxBufferedBytes are waiting, and stops the experts', async () => {
    const big = Array.from({ length: 600 }, () => 'x'.repeat(64 * 1024)).join(' ');
    const expert = withExpert(simulatedExpert({ id: 'a', answer: big, tokenDelayMs: 1 }));
    const served = await serve({ maxBufferedBytes: 256 * 1024 });
    const { port } = new URL(server!.url);
    socket = connect(Number(port), '127.0.0.1', () => socket!.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    socket.pause(); // never reads: the kernel buffers fill, then Node's
    await waitFor(() => expert.stats.started === 1 && expert.stats.active === 0, 10_000, 'the expert to start, then stop');
    expect(expert.stats).toMatchObject({ started: 1, cancelled: 1, completed: 0 });
    expect(served.res!.destroyed).toBe(true);
    expect(plugin!.active()).toEqual([]);
  });
});
