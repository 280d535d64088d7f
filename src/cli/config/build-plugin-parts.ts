/**
 * Turns a decoded config into plugin parts: the experts (API keys read from the environment
 * variables the file names), the router, the fusion, the cache and the numbers. Pure: reading
 * `env` is the only input besides the config. A key's value never reaches a message.
 */
import * as A from 'fp-ts/Array';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { resolve } from 'node:path';
import type { Expert } from '../../index';
import { openAICompatibleExpert } from '../../index';
import { simulatedExpert } from '../../index';
import { DEFAULT_CACHE_FILE } from '../args';
import type { CacheChoice, PluginParts } from '../plugin-parts';
import { attempt } from './attempt';
import { buildFusion, buildRouter } from './build-router';
import { aggregatorIds } from './check-references';
import { fail, validation, type Decoded } from './decoders';
import { expertIdOf, type CacheConfig, type DialogueConfig, type ExpertConfig } from './schema';

/** Environment variables, as `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where relative paths are resolved. */
export interface PathContext {
  /** The config file's folder: a relative `cache.path` is resolved against it. */
  readonly configDir: string;
  /** The user's working folder: the default cache file goes there. */
  readonly cwd: string;
}

/** What an API key can be (as `openAICompatibleExpert` checks): printable ASCII, no spaces. */
export const isUsableKey = (key: string): boolean => /^[\x21-\x7e]+$/.test(key);

const apiKey = (name: string | undefined, env: Env, path: string): Decoded<string | undefined> => {
  if (name === undefined) return E.right(undefined);
  const key = env[name]?.trim() ?? '';
  if (key === '') return fail(`${path} names ${name}, which is not set in the environment`);
  return isUsableKey(key) ? E.right(key) : fail(`${path} names ${name}, whose value is not a usable API key (printable ASCII, no spaces)`);
};

const buildExpert = (config: ExpertConfig, i: number, env: Env): Decoded<Expert> => {
  if (config.provider === 'simulated') {
    const { id, answer, firstTokenDelayMs, tokenDelayMs } = config;
    return attempt(`experts[${i}]`, () => simulatedExpert({ id, answer, firstTokenDelayMs, tokenDelayMs }));
  }
  const { id, baseURL, model, version, params, headers, apiKeyEnv } = config;
  return pipe(
    apiKey(apiKeyEnv, env, `experts[${i}].apiKeyEnv`),
    E.chain((key) => attempt(`experts[${i}]`, () => openAICompatibleExpert({ id, baseURL, apiKey: key, model, version, params, headers }))),
  );
};

const buildCache = (cache: CacheConfig | undefined, paths: PathContext): CacheChoice | undefined => {
  if (cache === undefined || cache === false || cache.type === 'memory') return cache;
  return { type: 'sqlite', path: cache.path === undefined ? resolve(paths.cwd, DEFAULT_CACHE_FILE) : resolve(paths.configDir, cache.path) };
};

/** The plugin parts of a decoded config, or every problem building them (an unset key variable, ...). */
export const buildPluginParts = (config: DialogueConfig, env: Env, paths: PathContext): Decoded<PluginParts> => pipe(
  A.sequence(validation)(config.experts.map((expert, i) => buildExpert(expert, i, env))),
  E.chain((experts) => {
    const byId = new Map(experts.map((expert) => [expert.id, expert]));
    const aggregators = aggregatorIds(config);
    const panel = config.experts.map(expertIdOf).filter((id) => !aggregators.has(id));
    return pipe(
      buildFusion(config.fusion, byId, 'fusion'),
      E.chain((fusion) => pipe(buildRouter(config.router, byId, panel), E.map((router): PluginParts => ({
        experts: experts.filter((expert) => !aggregators.has(expert.id)),
        router, fusion,
        cache: buildCache(config.cache, paths),
        retry: config.retry, timeouts: config.timeouts, limits: config.limits, breaker: config.breaker,
      })))),
    );
  }),
);
