/**
 * The plugin `npm run serve` runs: the set-up's experts and options (from `resolveSetup`), with
 * the flags' fusion and cache on top, exactly as the CLI combines them (`chooseFusion`,
 * `chooseCache`). A SQLite cache that cannot be used is reported once through `warn`.
 *
 * With a Redis URL (`--redis-url`, `DIALOGUE_REDIS_URL`) the replicas scale out: the cache is
 * `redisCache` (unless `--cache-file` or `--no-cache` say otherwise) and the plugin coordinates
 * through `redisCoordinator` (cross-replica cancel and single flight). Redis failures are
 * reported once each (the cache's, the coordinator's), without the URL (it may hold a password);
 * while Redis is down the server still answers, uncached, and `/readyz` says 503.
 */
import { DialoguePlugin, redisCache, redisCoordinator } from '../../index';
import type { ResponseCache } from '../../index';
import { chooseCache, chooseFusion, openChosenCache, type CliOverrides, type PluginParts } from '../plugin-parts';

/** The flags of `serve`: the CLI's, plus the Redis URL. */
export interface ServeFlags extends CliOverrides {
  readonly redisUrl?: string;
}

/** The served plugin, and the cache it was given (for the server's readiness probe). */
export interface ServePlugin {
  readonly plugin: DialoguePlugin;
  readonly cache: ResponseCache | undefined;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Reports the first error through `warn`, then stays quiet. */
const once = (what: string, warn: (message: string) => void) => {
  let warned = false;
  return (error: unknown): void => {
    if (warned) return;
    warned = true;
    warn(`${what}: ${message(error)} (reported once; GET /readyz shows whether it is back)`);
  };
};

const openCache = (flags: ServeFlags, setup: PluginParts, cwd: string, warn: (message: string) => void): ResponseCache | false =>
  flags.redisUrl !== undefined && flags.cacheFile === undefined
    ? redisCache({ url: flags.redisUrl, onError: once('Redis cache not reachable, answering uncached', warn) })
    : openChosenCache(chooseCache(flags, setup, cwd), warn);

/** Builds the served plugin; `onSystemError` receives the pipeline's system errors (for logs). */
export const createServePlugin = (
  setup: PluginParts,
  flags: ServeFlags,
  env: { readonly cwd: string; readonly warn: (message: string) => void; readonly onSystemError?: (error: unknown, context: { requestId: string; stage: string }) => void },
): ServePlugin => {
  const cache = openCache(flags, setup, env.cwd, env.warn);
  const plugin = new DialoguePlugin({
    experts: [...setup.experts],
    router: setup.router,
    fusion: chooseFusion(flags, setup),
    cache,
    retry: setup.retry,
    timeouts: setup.timeouts,
    limits: setup.limits,
    breaker: setup.breaker,
    coordination: flags.redisUrl === undefined ? undefined : redisCoordinator({ url: flags.redisUrl, onError: once('Redis coordination failing, replicas work alone', env.warn) }),
    onSystemError: env.onSystemError,
  });
  return { plugin, cache: cache === false ? undefined : cache };
};
