/**
 * Decodes the optional `params` object of an `/api/chat` body into `GenerationParams`: useChat
 * sends extra fields with `sendMessage(message, { body: { params } })` (or the transport's
 * `body`). The fields are the library's own names, checked as on `/v1/chat/completions`:
 * `maxTokens` (integer >= 1), `temperature` (0-2), `topP` (0-1), `stop` (a string or up to 4
 * non-empty strings), `seed` (integer). An unknown field is a problem (a typo would otherwise be
 * silently ignored); `params` absent or null means no params.
 */
import type { GenerationParams } from '../../index';
import { decodeChatParams } from '../openai/chat-params';
import { isAbsent, isObject } from '../openai/json-shape';

/** The library's param names and the OpenAI field each is checked as. */
const FIELDS: Readonly<Record<string, string>> = { maxTokens: 'max_tokens', temperature: 'temperature', topP: 'top_p', stop: 'stop', seed: 'seed' };

/** The params of `body.params` (only the fields given), pushing every problem to `problems`. */
export const decodeUIGenerationParams = (params: unknown, problems: string[]): GenerationParams => {
  if (isAbsent(params)) return {};
  if (!isObject(params)) {
    problems.push('params must be an object { maxTokens?, temperature?, topP?, stop?, seed? }');
    return {};
  }
  const wire: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (Object.prototype.hasOwnProperty.call(FIELDS, name)) wire[FIELDS[name]] = value;
    else problems.push(`params.${name.slice(0, 40)} is not a generation param (maxTokens, temperature, topP, stop, seed)`);
  }
  const found: string[] = [];
  const decoded = decodeChatParams(wire, found);
  // The OpenAI field names in the messages become the params' own names.
  const names = Object.entries(FIELDS);
  problems.push(...found.map((problem) => names.reduce((text, [name, field]) => text.replace(new RegExp(`^${field}\\b`), `params.${name}`), problem)));
  return decoded;
};
