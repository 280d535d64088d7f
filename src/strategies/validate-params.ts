/** Decodes the caller's generation parameters, with every problem listed. */
import * as E from 'fp-ts/Either';
import type * as NEA from 'fp-ts/NonEmptyArray';
import type { GenerationParams } from '../conversation';
import { kindOf, type Checked } from './validate-input';

const KNOWN = ['maxTokens', 'temperature', 'topP', 'stop', 'seed'] as const;

/** Most stop sequences, and their longest length (OpenAI's limits). */
export const MAX_STOP_SEQUENCES = 4;
/** The most tokens a request may ask for (`maxTokens`). */
export const MAX_TOKENS_LIMIT = 1_000_000;
const MAX_STOP_CHARS = 256;

const between = (value: unknown, name: string, min: number, max: number, integer: boolean): string[] =>
  (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value))
    ? []
    : [`params.${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got ${typeof value === 'number' ? value : kindOf(value)})`]);

/** Checks `params` (undefined: none). */
export const checkParams = (value: unknown): Checked<GenerationParams | undefined> => {
  if (value === undefined) return E.right(undefined);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return E.left([`params must be an object (got ${kindOf(value)})`]);
  const given = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(given)) {
    if (!(KNOWN as readonly string[]).includes(key)) problems.push(`unknown param "${key.slice(0, 40)}" (known: ${KNOWN.join(', ')})`);
  }
  if (given.maxTokens !== undefined) problems.push(...between(given.maxTokens, 'maxTokens', 1, MAX_TOKENS_LIMIT, true));
  if (given.temperature !== undefined) problems.push(...between(given.temperature, 'temperature', 0, 2, false));
  if (given.topP !== undefined) problems.push(...between(given.topP, 'topP', 0, 1, false));
  if (given.seed !== undefined) problems.push(...between(given.seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true));
  if (given.stop !== undefined) {
    const stop = given.stop;
    if (!Array.isArray(stop) || stop.length > MAX_STOP_SEQUENCES || !stop.every((s) => typeof s === 'string' && s.length > 0 && s.length <= MAX_STOP_CHARS)) {
      problems.push(`params.stop must be an array of at most ${MAX_STOP_SEQUENCES} non-empty strings of at most ${MAX_STOP_CHARS} characters`);
    }
  }
  if (problems.length > 0) return E.left(problems as NEA.NonEmptyArray<string>);
  const params: { -readonly [K in keyof GenerationParams]: GenerationParams[K] } = {};
  for (const key of KNOWN) {
    if (given[key] !== undefined) (params as Record<string, unknown>)[key] = key === 'stop' ? [...(given.stop as string[])] : given[key];
  }
  return E.right(Object.keys(params).length === 0 ? undefined : params);
};
