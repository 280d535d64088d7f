/**
 * Reads one server-sent event of an OpenAI-compatible chat completion stream: a token, the end
 * of the answer, nothing worth emitting, or a failure. Pure: no I/O, no RxJS.
 *
 *     data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}  -> text 'Hel'
 *     data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}              -> end
 *     data: [DONE]                                                                    -> end
 *     data: {"error":{"type":"server_error","message":"..."}}                         -> ExpertError, retriable
 *     data: {"choi                                                                    -> ExpertError 'protocol'
 */
import { ExpertError } from '../../errors';

/** Token counts a chunk reported (`usage.prompt_tokens`, `usage.completion_tokens`). */
export interface ReportedUsage { readonly inputTokens: number; readonly outputTokens: number }

/**
 * What one event means for the answer: `text` ('' when none); `end`: the answer ended with it
 * (a `finish_reason`, or `[DONE]`); `done`: the stream is over (`[DONE]`: nothing follows);
 * `usage`: the token counts it reported (with `stream_options.include_usage`, a last chunk with
 * empty `choices`, after the one with the `finish_reason`).
 */
export type StreamStep =
  | { readonly _tag: 'data'; readonly text: string; readonly end: boolean; readonly done?: boolean; readonly usage?: ReportedUsage }
  | { readonly _tag: 'failure'; readonly error: ExpertError; readonly malformed: boolean };

const NOTHING: StreamStep = { _tag: 'data', text: '', end: false };
const DONE: StreamStep = { _tag: 'data', text: '', end: true, done: true };

const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);

/** The chunk's `usage`, when it has both counts. */
const usageOf = (value: Json): ReportedUsage | undefined => {
  if (!isObject(value.usage)) return undefined;
  const inputTokens = count(value.usage.prompt_tokens);
  const outputTokens = count(value.usage.completion_tokens);
  return inputTokens === undefined || outputTokens === undefined ? undefined : { inputTokens, outputTokens };
};

/** Error codes and types (of any server seen so far) that say another attempt may succeed. */
const RETRIABLE_KIND = /overload|rate.?limit|too.?many.?requests|server.?error|internal|unavailable|capacity|timeout/i;
/**
 * A code or type is quoted in the message only when it looks like an error code
 * (`rate_limit_exceeded`, `server_error`): letters in words of at most 24 joined by `_`, `.` or
 * `-`. Never free text, and never anything key-shaped: keys carry digits or long random runs.
 */
const ERROR_CODE = /^[A-Za-z]{1,24}(?:[_.-][A-Za-z]{1,24}){0,7}$/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Interprets one event's `data` (and its `event` name, for servers that send `event: error`).
 * Only `choices[0]` (index 0) counts; its `delta.content` is the text, a non-null
 * `finish_reason` ends the answer. Blank data is ignored. `malformed` marks data that is not
 * a JSON object, which the caller may forgive at the very end of a truncated body.
 */
export function readStreamEvent(expertId: string, data: string, event?: string): StreamStep {
  const text = data.trim();
  if (text === '') return NOTHING;
  if (text === '[DONE]') return DONE;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return malformed(expertId, 'Malformed JSON in the event stream');
  }
  if (!isObject(value)) return malformed(expertId, 'Unexpected data in the event stream (not a JSON object)');
  if (value.error !== undefined && value.error !== null) return { _tag: 'failure', error: streamError(expertId, value.error), malformed: false };
  if (event === 'error') return { _tag: 'failure', error: streamError(expertId, value), malformed: false };
  const usage = usageOf(value);
  const choice = firstChoice(value.choices);
  if (choice === undefined) return usage === undefined ? NOTHING : { _tag: 'data', text: '', end: false, usage }; // e.g. the usage chunk
  const content = isObject(choice.delta) ? choice.delta.content : undefined;
  const reason = choice.finish_reason;
  return {
    _tag: 'data',
    text: typeof content === 'string' ? content : '',
    end: reason !== null && reason !== undefined && reason !== '',
    ...(usage === undefined ? {} : { usage }),
  };
}

/** The choice with index 0 (or none): with `n > 1` the other choices' chunks are interleaved. */
function firstChoice(choices: unknown): Json | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const choice of choices) {
    if (isObject(choice) && (choice.index === undefined || choice.index === 0)) return choice;
  }
  return undefined;
}

const malformed = (expertId: string, message: string): StreamStep =>
  ({ _tag: 'failure', error: new ExpertError(expertId, message, { failure: 'protocol' }), malformed: true });

/**
 * An `error` object sent inside a 200 stream (`{"error":{"type":"server_error","code":500}}`).
 * Retriable when a numeric code is 408, 429 or 5xx, or a code or type names an overload, a rate
 * limit or a server error. The provider's message is left out: it may echo the prompt or a key.
 */
export function streamError(expertId: string, error: unknown): ExpertError {
  const details = isObject(error) ? error : {};
  const kinds = [details.code, details.type, details.status].filter((v): v is string => typeof v === 'string');
  const numbers = [details.code, details.status].map(Number).filter((n) => Number.isInteger(n) && n >= 400 && n <= 599);
  const retriable = numbers.some((n) => n === 408 || n === 429 || n >= 500) || kinds.some((kind) => RETRIABLE_KIND.test(kind));
  const label = [...kinds.filter((kind) => ERROR_CODE.test(kind)), ...numbers.map(String)][0];
  const message = label === undefined ? 'The server reported an error in the stream' : `The server reported an error in the stream (${label})`;
  return new ExpertError(expertId, message, { failure: 'http', retriable });
}
