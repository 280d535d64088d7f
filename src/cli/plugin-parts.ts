/**
 * What a set-up (config file, environment or the built-in experts) contributes to the CLI's
 * `DialoguePlugin`, and how the command-line flags combine with it: a flag given on the
 * command line wins over the set-up, which wins over the CLI's defaults.
 */
import { resolve } from 'node:path';
import type { DialoguePluginOptions } from '../index';
import type { Expert, FusionStrategy, Router } from '../index';
import type { FusionName } from '../index';
import { memoryCache } from '../index';
import { sqliteCache } from '../index';
import type { ResponseCache } from '../index';
import { DEFAULT_CACHE_FILE, type FusionChoice } from './args';

/** The cache to open: a SQLite file (absolute path), an in-process cache, or none. */
export type CacheChoice = { readonly type: 'sqlite'; readonly path: string } | { readonly type: 'memory' } | false;

/** The plugin options a set-up provides; undefined ones keep the CLI's (or the plugin's) defaults. */
export interface PluginParts {
  readonly experts: readonly Expert[];
  readonly router?: Router;
  readonly fusion?: FusionName | FusionStrategy;
  readonly cache?: CacheChoice;
  readonly retry?: DialoguePluginOptions['retry'];
  readonly timeouts?: DialoguePluginOptions['timeouts'];
  readonly limits?: DialoguePluginOptions['limits'];
  readonly breaker?: DialoguePluginOptions['breaker'];
}

/** The flags that may override a set-up. */
export interface CliOverrides {
  /** `--fusion`; undefined when not given. */
  readonly fusion?: FusionChoice;
  /** `--cache-file PATH` (relative to `cwd`), false for `--no-cache`, undefined when neither was given. */
  readonly cacheFile?: string | false;
}

/** The cache after the flags: `--no-cache`, then `--cache-file`, then the set-up's, then `./dialogue-cache.sqlite`. */
/**
 * Opens the chosen cache. A SQLite file that cannot be used is reported once through `warn`
 * (with the path and the error's message), and the run goes on without it.
 */
export const openChosenCache = (choice: CacheChoice, warn: (message: string) => void): ResponseCache | false => {
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

export const chooseCache = (flags: CliOverrides, parts: Pick<PluginParts, 'cache'> | undefined, cwd: string): CacheChoice => {
  if (flags.cacheFile === false) return false;
  if (flags.cacheFile !== undefined) return { type: 'sqlite', path: resolve(cwd, flags.cacheFile) };
  return parts?.cache ?? { type: 'sqlite', path: resolve(cwd, DEFAULT_CACHE_FILE) };
};

/** The fusion after the flags: `--fusion`, then the set-up's, then 'best'. */
export const chooseFusion = (flags: CliOverrides, parts: Pick<PluginParts, 'fusion'> | undefined): FusionName | FusionStrategy =>
  flags.fusion ?? parts?.fusion ?? 'best';
