/**
 * The set-up from the environment alone: one OpenAI-compatible expert from `OPENAI_BASE_URL`
 * (default https://api.openai.com/v1), `OPENAI_API_KEY` and `OPENAI_MODEL` (default
 * gpt-4o-mini). Blank variables count as unset. No message quotes a variable's value.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { openAICompatibleExpert } from '../index';
import { attempt } from './config/attempt';
import { isUsableKey, type Env } from './config/build-plugin-parts';
import { collect, fail, type Decoded } from './config/decoders';
import { httpURLProblem } from './config/decode-expert';
import type { PluginParts } from './plugin-parts';

/** The API root when only `OPENAI_API_KEY` is set. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** The model when `OPENAI_MODEL` is not set. */
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

/** The value of a variable, trimmed; undefined when unset or blank. */
export const envValue = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** Whether the environment asks for an OpenAI-compatible expert (`OPENAI_BASE_URL` or `OPENAI_API_KEY` set). */
export const wantsEnvExpert = (env: Env): boolean =>
  envValue(env, 'OPENAI_BASE_URL') !== undefined || envValue(env, 'OPENAI_API_KEY') !== undefined;

/** The one-expert plugin parts of the environment, or every problem with its variables. */
export const envPluginParts = (env: Env): Decoded<PluginParts> => {
  const baseURL = envValue(env, 'OPENAI_BASE_URL') ?? DEFAULT_OPENAI_BASE_URL;
  const apiKey = envValue(env, 'OPENAI_API_KEY');
  const model = envValue(env, 'OPENAI_MODEL') ?? DEFAULT_OPENAI_MODEL;
  const problem = httpURLProblem(baseURL);
  return pipe(
    collect(undefined, [
      problem === undefined ? E.right(0) : fail(`OPENAI_BASE_URL ${problem}`),
      apiKey === undefined || isUsableKey(apiKey) ? E.right(0) : fail('OPENAI_API_KEY is not a usable API key (printable ASCII, no spaces)'),
    ]),
    E.chain(() => attempt('the OPENAI_* variables', () => openAICompatibleExpert({ baseURL, apiKey, model }))),
    E.map((expert) => ({ experts: [expert] })),
  );
};
