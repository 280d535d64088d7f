/** Helpers for the SSE sink specs: loopback servers, stream readers, a strict SSE frame parser, bounded waits. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser } from 'eventsource-parser';
import type { PipelineEvent } from '../../src/events';

/** A server listening on 127.0.0.1 at a free port. */
export interface TestServer { readonly url: string; readonly server: Server; close(): Promise<void> }

/** Starts `handler` on 127.0.0.1, port 0. `close` drops every connection, then closes. */
export const startServer = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> => {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error === undefined ? resolve() : reject(error)));
    }),
  };
};

/** Resolves once `predicate()` holds, checking every millisecond; rejects after `timeoutMs`. */
export const waitFor = (predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> =>
  new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });

/** Resolves when `res` emits 'close'. */
export const closed = (res: ServerResponse): Promise<void> => new Promise((resolve) => res.once('close', () => resolve()));

/** Reads a byte stream as text. */
export class TextReader {
  text = '';
  private readonly decoder = new TextDecoder();
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Reads until `predicate(text)` holds; rejects if the stream ends first. */
  async until(predicate: (text: string) => boolean): Promise<string> {
    while (!predicate(this.text)) {
      const chunk = await this.reader.read();
      if (chunk.done) throw new Error(`stream ended before the condition held; got ${JSON.stringify(this.text)}`);
      this.text += this.decoder.decode(chunk.value, { stream: true });
    }
    return this.text;
  }

  /** Reads to the end of the stream. */
  async all(): Promise<string> {
    for (;;) {
      const chunk = await this.reader.read();
      if (chunk.done) return (this.text += this.decoder.decode());
      this.text += this.decoder.decode(chunk.value, { stream: true });
    }
  }
}

/** How many times `needle` occurs in `text`. */
export const count = (text: string, needle: string): number => text.split(needle).length - 1;

/** A parsed SSE body: the events in order and how many heartbeat comments there were. */
export interface ParsedSSE { readonly events: PipelineEvent[]; readonly pings: number }

const FRAME = /event: ([a-z-]+)\ndata: ([^\n\r]*)\n\n|: ping\n\n/y;

/**
 * Parses a body written by the SSE sinks, strictly: it must be nothing but `event: <name>\ndata:
 * <one line>\n\n` messages and `: ping\n\n` comments, the name must equal the data's `type`, and
 * an independent parser (eventsource-parser) must read the very same messages.
 */
export const parseStrict = (raw: string): ParsedSSE => {
  const events: PipelineEvent[] = [];
  let pings = 0;
  FRAME.lastIndex = 0;
  while (FRAME.lastIndex < raw.length) {
    const at = FRAME.lastIndex;
    const match = FRAME.exec(raw);
    if (match === null) throw new Error(`not an SSE frame at ${at}: ${JSON.stringify(raw.slice(at, at + 80))}`);
    if (match[1] === undefined) {
      pings++;
      continue;
    }
    const event = JSON.parse(match[2]) as PipelineEvent;
    if (event.type !== match[1]) throw new Error(`event name ${match[1]} but data type ${event.type}`);
    events.push(event);
  }
  const independent: PipelineEvent[] = [];
  const parser = createParser({
    onEvent: (message) => {
      const event = JSON.parse(message.data) as PipelineEvent;
      if (message.event !== event.type) throw new Error(`eventsource-parser: name ${message.event} but type ${event.type}`);
      independent.push(event);
    },
  });
  parser.feed(raw);
  expect(independent).toEqual(events);
  return { events, pings };
};

/** Writes `bytes` to `res` `size` bytes at a time, yielding to the event loop between pieces, then ends it. */
export const dribble = async (res: ServerResponse, bytes: Uint8Array, size: number): Promise<void> => {
  for (let i = 0; i < bytes.length && !res.destroyed; i += size) {
    res.write(bytes.subarray(i, i + size));
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end();
};
