/**
 * The shape of `dialogue.config.json` once decoded. Every field but `experts` is optional; an
 * unknown key anywhere is an error. API keys never appear here: an expert names the environment
 * variable that holds its key (`apiKeyEnv`).
 */
import type { FusionChoice } from '../args';

/** An expert behind any OpenAI-compatible `/chat/completions` server. */
export interface OpenAICompatibleExpertConfig {
  readonly provider: 'openai-compatible';
  /** Default: `model`. */
  readonly id?: string;
  /** The API root, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  readonly baseURL: string;
  readonly model: string;
  /** Part of the cache key (default '1'). */
  readonly version?: string;
  /** Merged into the request body (`temperature`, `max_tokens`, ...). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Extra request headers (never `authorization` or `api-key`: use `apiKeyEnv`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Name of the environment variable holding the API key; omitted: no key (local servers). */
  readonly apiKeyEnv?: string;
}

/** One of the library's simulated experts (no network): for demos and trying out a set-up. */
export interface SimulatedExpertConfig {
  readonly provider: 'simulated';
  readonly id: string;
  /** Default: a deterministic text built from the prompt and the id. */
  readonly answer?: string;
  readonly firstTokenDelayMs?: number;
  readonly tokenDelayMs?: number;
}

/** One expert declaration. */
export type ExpertConfig = OpenAICompatibleExpertConfig | SimulatedExpertConfig;

/** A built-in fusion by name, or an aggregator: the expert with that id writes the final answer. */
export type FusionConfig = FusionChoice | { readonly type: 'aggregator'; readonly expert: string };

/** The experts to ask for one intent, in order, and optionally its fusion. */
export interface RouteConfig {
  readonly experts: readonly string[];
  readonly fusion?: FusionConfig;
}

/** The route of intents without their own; no `experts`: every healthy expert. */
export interface FallbackConfig {
  readonly experts?: readonly string[];
  readonly fusion?: FusionConfig;
}

/** Every expert for every prompt (`default`), or a route per intent of the prompt (`intent`). */
export type RouterConfig =
  | { readonly type: 'default' }
  | { readonly type: 'intent'; readonly routes: Readonly<Record<string, RouteConfig>>; readonly fallback?: FallbackConfig };

/** A SQLite file (path relative to the config file's folder), an in-process cache, or none. */
export type CacheConfig = { readonly type: 'sqlite'; readonly path?: string } | { readonly type: 'memory' } | false;

/** Expert retries, as in `DialoguePlugin`'s `retry` option. */
export interface RetryConfig { readonly maxRetries?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number }

/** Deadlines in ms, as in `DialoguePlugin`'s `timeouts` option. */
export interface TimeoutsConfig { readonly firstTokenMs?: number; readonly idleMs?: number; readonly totalMs?: number; readonly cacheMs?: number }

/** Load limits, as in `DialoguePlugin`'s `limits` option. */
export interface LimitsConfig {
  readonly maxPromptChars?: number; readonly maxConcurrent?: number; readonly maxQueued?: number; readonly shedExpertsAbove?: number;
}

/** Per-expert circuit breaker, as in `DialoguePlugin`'s `breaker` option. */
export interface BreakerConfig { readonly failureThreshold?: number; readonly cooldownMs?: number }

/** The whole file. */
export interface DialogueConfig {
  readonly experts: readonly ExpertConfig[];
  readonly router?: RouterConfig;
  readonly fusion?: FusionConfig;
  readonly cache?: CacheConfig;
  readonly retry?: RetryConfig;
  readonly timeouts?: TimeoutsConfig;
  readonly limits?: LimitsConfig;
  readonly breaker?: BreakerConfig;
}

/** The id an expert declaration ends up with (`id`, else the model). */
export const expertIdOf = (expert: ExpertConfig): string =>
  expert.provider === 'simulated' ? expert.id : expert.id ?? expert.model;
