/** Decoders of one expert declaration (`experts[i]`), picked by its `provider`. */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { at, child, collect, fail, isObject, nonEmptyString, number, oneOf, struct, tagged, type Decoder } from './decoders';
import type { ExpertConfig, OpenAICompatibleExpertConfig, SimulatedExpertConfig } from './schema';

const KEY_ADVICE = "name the environment variable that holds the key in apiKeyEnv; the key itself never goes in the file";

/** Header names that carry a key: refused, so a key cannot slip into the file by way of `headers`. */
const KEY_HEADERS = ['authorization', 'api-key', 'x-api-key', 'proxy-authorization'];

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why `value` is not a usable http(s) API root, or undefined when it is (shared with the environment set-up). */
export const httpURLProblem = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return 'must be a string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username !== '' || url.password !== '') return `must not contain a user name or password: ${KEY_ADVICE}`;
  return undefined;
};

const httpURL: Decoder<string> = (value, path) => {
  const problem = httpURLProblem(value);
  return problem === undefined ? E.right(value as string) : fail(`${at(path)} ${problem}`);
};

/** An expert id: non-empty, no control characters, not a reserved token source. */
export const expertId: Decoder<string> = (value, path) => pipe(
  nonEmptyString(value, path),
  E.chain((id) => (/[\u0000-\u001f\u007f]/.test(id) ? fail(`${at(path)} must not contain control characters`) : E.right(id))),
  E.chain((id) => (id === 'fusion' || id === 'cache' ? fail(`${at(path)} must not be "fusion" or "cache" (reserved)`) : E.right(id))),
);

/** An environment variable name in capitals; anything else is most likely a pasted key. */
const envName: Decoder<string> = (value, path) =>
  typeof value === 'string' && /^[A-Z_][A-Z0-9_]{0,127}$/.test(value)
    ? E.right(value)
    : fail(`${at(path)} must be the name of an environment variable (A-Z, 0-9 and _, e.g. "OPENAI_API_KEY"), not the key itself`);

const params: Decoder<Readonly<Record<string, unknown>>> = (value, path) => {
  if (!isObject(value)) return fail(`${at(path)} must be an object`);
  return collect(value, [
    value.stream === undefined || value.stream === true ? E.right(0) : fail(`${child(path, 'stream')} must be true or absent: experts stream`),
    value.messages === undefined ? E.right(0) : fail(`${child(path, 'messages')} is not allowed: the messages come from the prompt`),
  ]);
};

const headers: Decoder<Readonly<Record<string, string>>> = (value, path) => {
  if (!isObject(value)) return fail(`${at(path)} must be an object of header names to strings`);
  return collect(value as Record<string, string>, Object.entries(value).map(([name, v]) => {
    const where = child(path, name);
    if (KEY_HEADERS.includes(name.toLowerCase())) return fail(`${where} is not allowed: ${KEY_ADVICE}`);
    if (!TOKEN.test(name)) return fail(`${where} is not a valid header name`);
    return typeof v === 'string' && !/[\r\n\0]/.test(v) ? E.right(v) : fail(`${where} must be a string without line breaks`);
  }));
};

const openAICompatible: Decoder<OpenAICompatibleExpertConfig> = struct(
  { provider: oneOf(['openai-compatible'] as const), baseURL: httpURL, model: nonEmptyString },
  { id: expertId, version: nonEmptyString, params, headers, apiKeyEnv: envName },
  { apiKey: `is not allowed: ${KEY_ADVICE}`, key: `is not allowed: ${KEY_ADVICE}` },
);

const simulated: Decoder<SimulatedExpertConfig> = struct(
  { provider: oneOf(['simulated'] as const), id: expertId },
  { answer: nonEmptyString, firstTokenDelayMs: number(), tokenDelayMs: number() },
);

/** One expert: `{ "provider": "openai-compatible", ... }` or `{ "provider": "simulated", ... }`. */
export const expertConfig: Decoder<ExpertConfig> = tagged<ExpertConfig>('provider', {
  'openai-compatible': openAICompatible,
  simulated,
});
