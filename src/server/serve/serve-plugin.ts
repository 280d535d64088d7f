/**
 * The plugin `npm run serve` runs: the set-up's experts and options (from `resolveSetup`), with
 * the flags' fusion and cache on top, exactly as the CLI combines them (`chooseFusion`,
 * `chooseCache`). A SQLite cache that cannot be used is reported once through `warn`.
 */
import { DialoguePlugin } from '../../pipeline/dialogue-plugin';
import type { ResponseCache } from '../../ports';
import { memoryCache } from '../../sources/memory-cache';
import { sqliteCache } from '../../sources/sqlite-cache';
import { chooseCache, chooseFusion, type CliOverrides, type PluginParts } from '../../cli/plugin-parts';

const openCache = (flags: CliOverrides, setup: PluginParts, cwd: string, warn: (message: string) => void): ResponseCache | false => {
  const choice = chooseCache(flags, setup, cwd);
  if (choice === false) return false;
  if (choice.type === 'memory') return memoryCache();
  let warned = false;
  return sqliteCache(choice.path, {
    onError: (error) => {
      if (warned) return;
      warned = true;
      warn(`cache ${choice.path} not usable, continuing without it (${error instanceof Error ? error.message : String(error)})`);
    },
  });
};

/** Builds the served plugin; `onSystemError` receives the pipeline's system errors (for logs). */
export const createServePlugin = (
  setup: PluginParts,
  flags: CliOverrides,
  env: { readonly cwd: string; readonly warn: (message: string) => void; readonly onSystemError?: (error: unknown, context: { requestId: string; stage: string }) => void },
): DialoguePlugin => new DialoguePlugin({
  experts: [...setup.experts],
  router: setup.router,
  fusion: chooseFusion(flags, setup),
  cache: openCache(flags, setup, env.cwd, env.warn),
  retry: setup.retry,
  timeouts: setup.timeouts,
  limits: setup.limits,
  breaker: setup.breaker,
  onSystemError: env.onSystemError,
});
