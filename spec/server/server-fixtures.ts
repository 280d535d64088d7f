/** Helpers for the server specs: a dialogue server on 127.0.0.1 port 0, JSON requests, SSE bodies, bounded waits. */
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PipelineEvent } from '../../src/events';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { DialoguePluginOptions } from '../../src/pipeline/options';
import { createDialogueServer } from '../../src/server/create-dialogue-server';
import type { DialogueServerOptions } from '../../src/server/server-options';
import { parseStrict, TextReader } from '../support/sse-helpers';

export { waitFor } from '../support/sse-helpers';

/** A running server and its plugin. */
export interface Running {
  readonly server: Server;
  readonly plugin: DialoguePlugin;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** Drops every connection, stops listening, closes the plugin. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, port 0. */
export const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/** Closes a server after dropping its connections. */
export const closeServer = (server: Server): Promise<void> => new Promise((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
});

/** Starts `createDialogueServer` over a new plugin with `plugin` options (cache off unless given). */
export const startDialogueServer = async (
  plugin: DialoguePluginOptions,
  server: Omit<DialogueServerOptions, 'plugin'> = {},
): Promise<Running> => {
  const dialogue = new DialoguePlugin({ cache: false, ...plugin });
  const http = createDialogueServer({ ...server, plugin: dialogue });
  const port = await listen(http);
  return {
    server: http, plugin: dialogue, port, origin: `http://127.0.0.1:${port}`,
    close: async () => {
      await closeServer(http);
      await dialogue.close();
    },
  };
};

/** POSTs `body` as JSON (a string is sent as is), with extra headers. */
export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });

/** The parsed events of a whole SSE response body (strictly parsed). */
export const sseEvents = async (response: Response): Promise<PipelineEvent[]> =>
  parseStrict(await new TextReader(response.body!.getReader()).all()).events;

/** Reads an SSE body event by event. */
export class EventReader {
  private readonly text: TextReader;
  constructor(response: Response) {
    this.text = new TextReader(response.body!.getReader());
  }

  /** Reads until an event of `type` has arrived; returns every event so far. */
  async until(type: PipelineEvent['type']): Promise<PipelineEvent[]> {
    await this.text.until((raw) => raw.includes(`event: ${type}\n`) && raw.endsWith('\n\n'));
    return parseStrict(this.text.text).events;
  }

  /** Reads to the end; returns every event. */
  async all(): Promise<PipelineEvent[]> {
    return parseStrict(await this.text.all()).events;
  }
}

/** The value of one series in a Prometheus text body, or undefined when absent. */
export const series = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
};

/** A response read whole by {@link rawRequest}. */
export interface RawResponse {
  readonly status: number;
  readonly headers: import('node:http').IncomingHttpHeaders;
  readonly body: string;
}

/** A request through node:http, which (unlike fetch) sends any `Host` header; resolves with the whole response. */
export const rawRequest = (port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(options.body);
  });

/** A log destination that keeps every line, parsed. */
export class LogLines {
  readonly raw: string[] = [];
  write(line: string): void {
    this.raw.push(line);
  }

  /** Every line as an object. */
  get lines(): Array<Record<string, unknown>> {
    return this.raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The lines with `msg: 'request'`. */
  get requests(): Array<Record<string, unknown>> {
    return this.lines.filter((line) => line.msg === 'request');
  }
}
