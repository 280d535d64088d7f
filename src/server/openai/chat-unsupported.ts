/**
 * The OpenAI chat completions parameters that would change the answer and that the server cannot
 * honour. Rather than ignore them (and answer something the caller did not ask for), it refuses
 * the request: 400 with
 * `{ error: { type: 'invalid_request_error', code: 'unsupported_parameter', param } }`.
 *
 * | param | accepted | refused |
 * | --- | --- | --- |
 * | `n` | absent, null, 1 | any other value (one answer per request) |
 * | `tools`, `functions` | absent, null, `[]` | any tool (experts do not call tools) |
 * | `tool_choice`, `function_call` | absent, null, `'none'` | anything else |
 * | `response_format` | absent, null, `{ type: 'text' }` | JSON modes, schemas |
 * | `logprobs` | absent, null, false | true |
 * | `top_logprobs` | absent, null, 0 | anything else |
 * | `frequency_penalty`, `presence_penalty` | absent, null, 0 | any other value |
 * | `logit_bias` | absent, null, `{}` | any bias |
 * | `modalities` | absent, null, `['text']` | audio |
 * | `audio`, `prediction`, `reasoning_effort`, `web_search_options` | absent, null | any value |
 *
 * Fields that do not change the answer (`store`, `metadata`, `service_tier`, `parallel_tool_calls`,
 * `user`) are accepted and not acted on.
 */
import { isAbsent, isObject } from './json-shape';

/** One refused parameter: its name and why. */
export interface UnsupportedParameter { readonly param: string; readonly message: string }

type Check = (value: unknown) => boolean;

const RULES: ReadonlyArray<readonly [string, Check, string]> = [
  ['n', (v) => v === 1, 'n must be 1: the server returns one answer per request'],
  ['tools', (v) => Array.isArray(v) && v.length === 0, 'tools are not supported'],
  ['functions', (v) => Array.isArray(v) && v.length === 0, 'functions are not supported'],
  ['tool_choice', (v) => v === 'none', "tool_choice must be 'none' (tools are not supported)"],
  ['function_call', (v) => v === 'none', "function_call must be 'none' (functions are not supported)"],
  ['response_format', (v) => isObject(v) && v.type === 'text', "response_format must be { type: 'text' } (JSON modes are not supported)"],
  ['logprobs', (v) => v === false, 'logprobs are not supported'],
  ['top_logprobs', (v) => v === 0, 'top_logprobs are not supported'],
  ['frequency_penalty', (v) => v === 0, 'frequency_penalty is not supported'],
  ['presence_penalty', (v) => v === 0, 'presence_penalty is not supported'],
  ['logit_bias', (v) => isObject(v) && Object.keys(v).length === 0, 'logit_bias is not supported'],
  ['modalities', (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text', "modalities must be ['text'] (audio is not supported)"],
  ['audio', () => false, 'audio output is not supported'],
  ['prediction', () => false, 'predicted outputs are not supported'],
  ['reasoning_effort', () => false, 'reasoning_effort is not supported'],
  ['web_search_options', () => false, 'web search is not supported'],
];

/** Every parameter of `body` the server cannot honour, in a fixed order. */
export const unsupportedParameters = (body: Record<string, unknown>): UnsupportedParameter[] =>
  RULES.filter(([param, accepted]) => !isAbsent(body[param]) && !accepted(body[param])).map(([param, , message]) => ({ param, message }));
