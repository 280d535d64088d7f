/**
 * Checks the options of `openAICompatibleExpert` once, at construction, and prepares what every
 * request reuses: the endpoint URL and the headers. Messages never quote a URL, a header value
 * or the key: any of them may hold a secret.
 */
import type { OpenAICompatibleExpertOptions } from '../openai-compatible-expert';

/** A `fetch` as `openAICompatibleExpert` calls it (Node's global fetch, undici's, or a wrapper). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** What the options resolve to. `headers` holds the key; it must never reach a message or an event. */
export interface PreparedRequest {
  readonly url: string;
  readonly headers: Headers;
  readonly fetch: FetchLike;
}

/** The options `prepareRequest` reads: the expert's own (a type-only import, so no cycle at run time). */
export type RequestOptions = OpenAICompatibleExpertOptions;

function fail(message: string): never {
  throw new TypeError(`openAICompatibleExpert: ${message}`);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A printable ASCII token without spaces: what an API key looks like, and what a header can carry. */
const KEY = /^[\x21-\x7e]+$/;

/** Validates the options (TypeError on the first problem) and prepares the request. */
export function prepareRequest(options: RequestOptions): PreparedRequest {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const { id, model, version, apiKey, params, headers } = options;
  if (typeof model !== 'string' || model.trim() === '') fail('model must be a non-empty string');
  if (id !== undefined && (typeof id !== 'string' || id.trim() === '')) fail('id must be a non-empty string when given');
  if (version !== undefined && (typeof version !== 'string' || version.trim() === '')) fail('version must be a non-empty string when given');
  if (apiKey !== undefined && (typeof apiKey !== 'string' || (apiKey !== '' && !KEY.test(apiKey)))) {
    fail('apiKey must be a string of printable ASCII characters without spaces');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('fetch must be a function when given');
  checkParams(params);
  const url = endpoint(options.baseURL);
  const prepared = new Headers({ 'content-type': 'application/json', accept: 'text/event-stream' });
  if (apiKey !== undefined && apiKey !== '') prepared.set('authorization', `Bearer ${apiKey}`);
  if (headers !== undefined) {
    if (!isPlainObject(headers)) fail('headers must be an object of header names to string values');
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') fail(`headers["${printable(name)}"] must be a string`);
      try {
        prepared.set(name, value);
      } catch {
        fail(`headers["${printable(name)}"] is not a valid header`); // the Headers error quotes the value
      }
    }
  }
  const fetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return { url, headers: prepared, fetch };
}

/** `${baseURL}/chat/completions`, one slash between them, a query string kept (e.g. `?api-version=`). */
function endpoint(baseURL: unknown): string {
  if (typeof baseURL !== 'string') return fail('baseURL must be a string');
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return fail('baseURL must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('baseURL must be an http(s) URL');
  if (url.username !== '' || url.password !== '') fail('baseURL must not contain credentials; use apiKey or headers');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  url.hash = '';
  return url.href;
}

function checkParams(params: unknown): void {
  if (params === undefined) return;
  if (!isPlainObject(params)) fail('params must be an object');
  const { stream, messages } = params as Record<string, unknown>;
  if (stream !== undefined && stream !== true) fail('params.stream must be true or absent: this expert streams');
  if (messages !== undefined) fail('params.messages is not allowed: the messages come from the task');
  try {
    JSON.stringify(params);
  } catch {
    fail('params must be JSON-serializable');
  }
}

/** A header name for a message: at most 40 printable characters. */
const printable = (name: string): string => name.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
