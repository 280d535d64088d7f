/**
 * Decodes the sampling fields of an OpenAI chat completions request into the pipeline's
 * `GenerationParams`, which reach every expert:
 *
 * | field | param | rule |
 * | --- | --- | --- |
 * | `max_completion_tokens` (or the older `max_tokens`) | `maxTokens` | integer from 1 to `MAX_TOKENS_LIMIT` (1,000,000); both given must agree |
 * | `temperature` | `temperature` | number 0-2 |
 * | `top_p` | `topP` | number 0-1 |
 * | `stop` | `stop` | a string or up to 4 non-empty strings |
 * | `seed` | `seed` | integer |
 *
 * `user` must be a string when given; it is validated and otherwise ignored (never logged, never
 * sent to the experts). A `null` field is read as absent, as OpenAI does.
 */
import { MAX_TOKENS_LIMIT, type GenerationParams } from '../../index';
import { isAbsent } from './json-shape';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);
const inRange = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

const maxTokensOf = (body: Record<string, unknown>, problems: string[]): number | undefined => {
  const values: number[] = [];
  for (const name of ['max_completion_tokens', 'max_tokens']) {
    const value = body[name];
    if (isAbsent(value)) continue;
    if (isInteger(value) && value >= 1 && value <= MAX_TOKENS_LIMIT) values.push(value);
    else problems.push(`${name} must be an integer from 1 to ${MAX_TOKENS_LIMIT}`);
  }
  if (values.length === 2 && values[0] !== values[1]) problems.push('max_completion_tokens and max_tokens must agree when both are given');
  return values[0];
};

const stopOf = (stop: unknown, problems: string[]): string[] | undefined => {
  if (isAbsent(stop)) return undefined;
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s === '')) {
    problems.push('stop must be a non-empty string or an array of at most 4 non-empty strings');
    return undefined;
  }
  return list.length === 0 ? undefined : (list as string[]);
};

/** The generation params of `body` (only the fields it carries), pushing every problem to `problems`. */
export const decodeChatParams = (body: Record<string, unknown>, problems: string[]): GenerationParams => {
  const params: Mutable<GenerationParams> = {};
  const maxTokens = maxTokensOf(body, problems);
  if (maxTokens !== undefined) params.maxTokens = maxTokens;
  const { temperature, top_p: topP, seed, user } = body;
  if (!isAbsent(temperature)) {
    if (inRange(temperature, 0, 2)) params.temperature = temperature;
    else problems.push('temperature must be a number from 0 to 2');
  }
  if (!isAbsent(topP)) {
    if (inRange(topP, 0, 1)) params.topP = topP;
    else problems.push('top_p must be a number from 0 to 1');
  }
  const stop = stopOf(body.stop, problems);
  if (stop !== undefined) params.stop = stop;
  if (!isAbsent(seed)) {
    if (isInteger(seed)) params.seed = seed;
    else problems.push('seed must be an integer');
  }
  if (!isAbsent(user) && typeof user !== 'string') problems.push('user must be a string');
  return params;
};
