/**
 * The plugin `npm run serve` runs: the set-up's experts and options (from `resolveSetup`), with
 * the flags' fusion and cache on top, exactly as the CLI combines them (`chooseFusion`,
 * `chooseCache`). A SQLite cache that cannot be used is reported once through `warn`.
 */
import { DialoguePlugin } from '../../index';
import type { ResponseCache } from '../../index';
import { chooseCache, chooseFusion, openChosenCache, type CliOverrides, type PluginParts } from '../plugin-parts';

const openCache = (flags: CliOverrides, setup: PluginParts, cwd: string, warn: (message: string) => void): ResponseCache | false =>
  openChosenCache(chooseCache(flags, setup, cwd), warn);

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
