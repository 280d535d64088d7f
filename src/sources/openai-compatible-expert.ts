/**
 * An Expert backed by any OpenAI-compatible chat completions server (OpenAI, Ollama, vLLM,
 * llama.cpp server, LM Studio, Groq, Together): POST `{baseURL}/chat/completions` with
 * `stream: true`, read the server-sent events, emit each `delta.content`.
 *
 *     data: {..."delta":{"content":"Hel"}...}   data: {..."delta":{"content":"lo"}...}   data: [DONE]
 *     ---------------- 'Hel' ------------------------------- 'lo' ---------------------- |
 *
 * The answer ends cleanly only on `data: [DONE]` or a chunk with a `finish_reason`; a body that
 * ends before either is a retriable network error, never a short answer. The API key goes into
 * the `authorization` header and nowhere else: no message, event or log line quotes it, a URL,
 * a header value or a response body.
 */
import { propagation } from '@opentelemetry/api';
import { createParser } from 'eventsource-parser';
import { Observable, type Subscriber } from 'rxjs';
import { ExpertError } from '../errors';
import type { GenerationParams } from '../conversation';
import type { Expert, ExpertTask } from '../ports';
import { parseRetryAfter } from '../strategies/backoff';
import { prepareRequest, type FetchLike, type PreparedRequest } from './openai/request-options';
import { readStreamEvent, type ReportedUsage } from './openai/stream-event';

export type { FetchLike } from './openai/request-options';

/** Options of {@link openAICompatibleExpert}. */
export interface OpenAICompatibleExpertOptions {
  /** The expert's id in plans, events and metrics. Default: `model`. */
  readonly id?: string;
  /** The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1` (a trailing slash is fine). */
  readonly baseURL: string;
  /** Sent as `authorization: Bearer <apiKey>`; omit it (or pass '') for servers without auth. */
  readonly apiKey?: string;
  /** The model name the server knows, sent as `model`. */
  readonly model: string;
  /** Part of the cache key: bump it when the deployment behind the same model name changes. Default '1'. */
  readonly version?: string;
  /** Merged into the request body (`temperature`, `max_tokens`, ...); part of the cache key. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Extra request headers; they override the defaults (`api-key` for Azure, `OpenAI-Organization`, ...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use. Default: `globalThis.fetch`, looked up at request time. */
  readonly fetch?: FetchLike;
  /**
   * Ask for the token counts (`stream_options: { include_usage: true }`) and report them to the
   * pipeline. Default true; turn it off for a server that refuses `stream_options`.
   */
  readonly includeUsage?: boolean;
  /** After the `finish_reason`, how long to wait for the usage chunk or `[DONE]` before ending anyway. Default 2000 ms. */
  readonly usageGraceMs?: number;
}

/** The task's generation params in OpenAI's wire names. */
const wireParams = (params: GenerationParams | undefined): Record<string, unknown> => {
  if (params === undefined) return {};
  const wire: Record<string, unknown> = {};
  if (params.maxTokens !== undefined) wire.max_tokens = params.maxTokens;
  if (params.temperature !== undefined) wire.temperature = params.temperature;
  if (params.topP !== undefined) wire.top_p = params.topP;
  if (params.stop !== undefined) wire.stop = params.stop;
  if (params.seed !== undefined) wire.seed = params.seed;
  return wire;
};

/**
 * Creates an Expert that streams from an OpenAI-compatible server. Throws a TypeError on bad
 * options (baseURL not an http(s) URL or with credentials in it, empty model, headers not an
 * object of strings, params with `messages` or a `stream` other than true, ...); the messages
 * never quote the URL, a header value or the key.
 *
 * Each subscription makes one request with the whole conversation (`task.messages`), the
 * expert's `params` and, over them, the task's generation params in OpenAI's names
 * (`max_tokens`, `temperature`, `top_p`, `stop`, `seed`), and emits the answer's tokens; the
 * provider's token counts go to `task.reportUsage`. Unsubscribing aborts the request at once,
 * also while waiting for the next chunk, which closes the connection. Errors are `ExpertError`s:
 * - a non-2xx answer: message `HTTP <status>`, `status`, `retryAfterMs` from `Retry-After`,
 *   retriable for 408, 429 and 5xx; the body is discarded, never quoted;
 * - an `error` object inside the stream: retriable when its code or type names an overload,
 *   a rate limit or a server error;
 * - malformed JSON, or a JSON answer where an event stream was expected: failure 'protocol',
 *   not retriable;
 * - a failed connection, or one that closes before the end of the answer: failure 'network',
 *   retriable.
 */
export function openAICompatibleExpert(options: OpenAICompatibleExpertOptions): Expert {
  const request = prepareRequest(options);
  const { model, params } = options;
  const id = options.id ?? model;
  const includeUsage = options.includeUsage ?? true;
  const graceMs = options.usageGraceMs ?? 2000;
  if (typeof includeUsage !== 'boolean') throw new TypeError('openAICompatibleExpert: includeUsage must be a boolean');
  if (!(Number.isFinite(graceMs) && graceMs >= 0)) throw new TypeError('openAICompatibleExpert: usageGraceMs must be a number >= 0');
  const stream = (task: ExpertTask): Observable<string> =>
    // new Observable, not from(asyncIterator): that would notice an unsubscribe only when the next chunk arrives.
    new Observable<string>((subscriber) => {
      const controller = new AbortController(); // created on subscribe, one per attempt
      const messages = task.messages ?? [{ role: 'user', content: task.prompt }];
      const body = JSON.stringify({
        model, messages, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}), ...params, ...wireParams(task.params),
      });
      const reading = { graceMs: includeUsage ? graceMs : 0, reportUsage: task.reportUsage };
      readAnswer(id, withTraceContext(request, task), body, controller.signal, subscriber, reading).then(
        () => subscriber.complete(),
        (error: unknown) => {
          if (!subscriber.closed) subscriber.error(error); // closed: the rejection is our own abort, kept silent
        },
      );
      return () => controller.abort();
    });
  return { id, model, version: options.version ?? '1', params, provider: 'openai', stream };
}

/**
 * The request with the attempt's trace context injected into its headers (W3C `traceparent`
 * with the globally registered propagator) when the plugin traces; as it is otherwise.
 */
const withTraceContext = (request: PreparedRequest, task: ExpertTask): PreparedRequest => {
  if (task.traceContext === undefined) return request;
  const headers = new Headers(request.headers);
  propagation.inject(task.traceContext, headers, { set: (carrier, key, value) => carrier.set(key, value) });
  return { ...request, headers };
};

/** How to read the end of a stream: how long to wait for usage after the finish, and where usage goes. */
interface Reading { readonly graceMs: number; readonly reportUsage: ExpertTask['reportUsage'] }

/** Sends the request and emits the answer's tokens; resolves at its clean end, or when unsubscribed. */
async function readAnswer(id: string, request: PreparedRequest, body: string, signal: AbortSignal, subscriber: Subscriber<string>, reading: Reading): Promise<void> {
  let response: Response;
  try {
    response = await request.fetch(request.url, { method: 'POST', headers: request.headers, body, signal });
  } catch (error) {
    throw networkError(id, 'Request failed before the answer began', error);
  }
  if (subscriber.closed) return discard(response); // a fetch that ignored the signal
  if (!response.ok) {
    discard(response);
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    throw new ExpertError(id, `HTTP ${response.status}`, { status: response.status, retryAfterMs });
  }
  if (/^application\/json\b/i.test(response.headers.get('content-type') ?? '')) {
    discard(response);
    throw new ExpertError(id, 'Expected an event stream, got a JSON answer', { failure: 'protocol' });
  }
  if (response.body === null) throw cutShort(id);
  return readEvents(id, response.body.getReader(), subscriber, reading);
}

/**
 * The read loop: decodes chunks (multi-byte characters may straddle them), parses the events,
 * emits the text. After the `finish_reason` it reads on for the usage chunk until `[DONE]`, the
 * body's end, or `graceMs` (a server that keeps the connection open after the answer).
 */
async function readEvents(id: string, reader: ReadableStreamDefaultReader<Uint8Array>, subscriber: Subscriber<string>, reading: Reading): Promise<void> {
  const decoder = new TextDecoder();
  let ended = false;
  let done = false;
  let ending = false;
  let usage: ReportedUsage | undefined;
  let failure: ExpertError | undefined;
  const parser = createParser({
    onEvent: ({ data, event }) => {
      if (done || failure !== undefined || subscriber.closed) return; // anything after the end is ignored
      const step = readStreamEvent(id, data, event);
      if (step._tag === 'failure') {
        // Unparsable data at the very end is a body cut mid-event: reported below as a network error.
        if (!(ending && step.malformed)) failure = step.error;
        // After the answer's end, a broken trailer (usage) is not worth failing the answer for.
        if (ended) {
          failure = undefined;
          done = true;
        }
        return;
      }
      if (step.text !== '' && !ended) subscriber.next(step.text);
      if (step.usage !== undefined) usage = step.usage;
      ended ||= step.end;
      done ||= step.done === true || (ended && (usage !== undefined || reading.graceMs === 0));
    },
  });
  // The teardown's abort ends the body too, unless a custom fetch ignores the signal: cancel it as well.
  subscriber.add(() => {
    reader.cancel().catch(() => undefined);
  });
  let grace: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      const chunk = await reader.read().catch((error: unknown) => {
        if (ended) return { done: true as const, value: undefined }; // the grace timer's cancel, or a cut trailer
        throw networkError(id, 'Connection closed before the end of the answer', error);
      });
      if (subscriber.closed) return;
      if (chunk.done) {
        ending = true;
        parser.feed(`${decoder.decode()}\n\n`); // dispatches a last event whose blank line never came
      } else {
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      if (failure !== undefined) throw failure;
      if (done || (ended && chunk.done)) break;
      if (chunk.done) throw cutShort(id);
      if (ended && grace === undefined) grace = setTimeout(() => { reader.cancel().catch(() => undefined); }, reading.graceMs);
    }
  } finally {
    clearTimeout(grace);
  }
  if (usage !== undefined) reading.reportUsage?.(usage);
}

const cutShort = (id: string): ExpertError =>
  new ExpertError(id, 'Connection closed before the end of the answer', { failure: 'network' });

/** A retriable network error; only an error code such as ECONNRESET is quoted, the original is the cause. */
function networkError(id: string, message: string, error: unknown): ExpertError {
  if (ExpertError.isInstance(error)) return error;
  const code = errorCode(error) ?? errorCode((error as { cause?: unknown } | null)?.cause);
  return new ExpertError(id, code === undefined ? message : `${message} (${code})`, { failure: 'network', cause: error });
}

const errorCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
};

/** Drops a body we will not read (it may echo the key or the prompt), releasing the connection. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}
