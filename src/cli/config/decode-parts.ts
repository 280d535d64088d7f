/** Decoders of the config's sections other than `experts`: fusion, router, cache and the plugin's numbers. */
import * as E from 'fp-ts/Either';
import { DEFAULT_INTENT, defaultIntentRules } from '../../index';
import { FUSIONS } from '../args';
import { at, fail, nonEmptyArray, nonEmptyString, number, oneOf, record, struct, tagged, type Decoder, type KeyCheck } from './decoders';
import type { BreakerConfig, CacheConfig, FallbackConfig, FusionConfig, LimitsConfig, RetryConfig, RouteConfig, RouterConfig, TimeoutsConfig } from './schema';

/** The intents the built-in classifier can return: the only keys `router.routes` may have. */
export const INTENTS: readonly string[] = [...new Set([...defaultIntentRules.map((rule) => rule.intent), DEFAULT_INTENT])];

const aggregatorFusion = struct({ type: oneOf(['aggregator'] as const), expert: nonEmptyString }, {});

/** `"best"`, `"first"`, `"sections"`, or `{ "type": "aggregator", "expert": "<expert id>" }`. */
export const fusionConfig: Decoder<FusionConfig> = (value, path) => {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return aggregatorFusion(value, path);
  return typeof value === 'string' && (FUSIONS as readonly string[]).includes(value)
    ? E.right(value as FusionConfig)
    : fail(`${at(path)} must be ${FUSIONS.map((f) => `"${f}"`).join(', ')} or { "type": "aggregator", "expert": "<expert id>" }`);
};

const expertIds = nonEmptyArray(nonEmptyString);

const route: Decoder<RouteConfig> = struct({ experts: expertIds }, { fusion: fusionConfig });
const fallback: Decoder<FallbackConfig> = struct({}, { experts: expertIds, fusion: fusionConfig });

/** Route keys must be intents the classifier knows, or the route would never be taken. */
const knownIntent: KeyCheck = (intent, path) =>
  INTENTS.includes(intent) ? E.right(intent) : fail(`${path} is not an intent (use ${INTENTS.join(', ')})`);

const routes = record(route, knownIntent);

/** `{ "type": "default" }` or `{ "type": "intent", "routes": {...}, "fallback"?: {...} }`. */
export const routerConfig: Decoder<RouterConfig> = tagged<RouterConfig>('type', {
  default: struct({ type: oneOf(['default'] as const) }, {}),
  intent: struct({ type: oneOf(['intent'] as const), routes }, { fallback }),
});

const cacheObject = tagged<CacheConfig>('type', {
  sqlite: struct({ type: oneOf(['sqlite'] as const) }, { path: nonEmptyString }),
  memory: struct({ type: oneOf(['memory'] as const) }, {}),
});

/** `{ "type": "sqlite", "path"? }`, `{ "type": "memory" }` or `false`. */
export const cacheConfig: Decoder<CacheConfig> = (value, path) => {
  if (value === false) return E.right(false);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`${at(path)} must be { "type": "sqlite", "path"?: "<file>" }, { "type": "memory" } or false`);
  }
  return cacheObject(value, path);
};

const ms = number();
const atLeastOneMs = number({ min: 1 });
const count = number({ integer: true });
const positiveCount = number({ min: 1, integer: true });

/** `retry`: maxRetries (whole, >= 0), baseDelayMs, maxDelayMs (>= 0). */
export const retryConfig: Decoder<RetryConfig> = struct({}, { maxRetries: count, baseDelayMs: ms, maxDelayMs: ms });

/** `timeouts`: firstTokenMs, idleMs, totalMs, cacheMs (each >= 1). */
export const timeoutsConfig: Decoder<TimeoutsConfig> = struct({}, { firstTokenMs: atLeastOneMs, idleMs: atLeastOneMs, totalMs: atLeastOneMs, cacheMs: atLeastOneMs });

/** `limits`: maxPromptChars, maxConcurrent (whole, >= 1), maxQueued, shedExpertsAbove (whole, >= 0). */
export const limitsConfig: Decoder<LimitsConfig> = struct({}, { maxPromptChars: positiveCount, maxConcurrent: positiveCount, maxQueued: count, shedExpertsAbove: count });

/** `breaker`: failureThreshold (whole, >= 1), cooldownMs (>= 0). */
export const breakerConfig: Decoder<BreakerConfig> = struct({}, { failureThreshold: positiveCount, cooldownMs: ms });
