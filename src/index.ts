/** dialogue-pipeline: one prompt, several LLM experts, one RxJS chain. Public API (DESIGN section 2). */
export { DialoguePlugin, type ProcessOptions } from './pipeline/dialogue-plugin';
export type { DialoguePluginOptions } from './pipeline/options';
export type { SystemErrorContext } from './pipeline/deps';
export * from './events';
export * from './errors';
export type { ExecutionPlan, PlanTask, KeyPlan } from './plan';
export type {
  Expert, ExpertTask, ResponseCache, CachedAnswer, FusionStrategy, ExpertAnswer, FusionContext, AnswerScorer,
  OutputGuard, TokenRedactor, Validator, Router, RouteDecision, RouteInput, ExpertStatus, DialogueRequest,
  Coordinator, FlightClaim, FlightLeader, FlightFollower, FlightRecord, SharedEvent, RemoteCancel,
} from './ports';
export type { PipelineMetrics, ExpertMetrics, Stage } from './pipeline/metrics';
export type { Clock } from './operators/timed';
export { cacheKey, CACHE_SCHEMA_VERSION } from './pipeline/cache-key';
export { simulatedExpert, type SimulatedExpert, type SimulatedExpertOptions, type SimulatedExpertStats, type SimulatedFault } from './sources/simulated-expert';
export { memoryCache, type MemoryCacheOptions } from './sources/memory-cache';
export { keyvCache, type KeyvCacheOptions } from './sources/keyv-cache';
export { sqliteCache, type SqliteCacheOptions } from './sources/sqlite-cache';
export { bestFusion, type BestFusionOptions } from './strategies/fusion-best';
export { firstFusion } from './strategies/fusion-first';
export { sectionsFusion, type SectionsFusionOptions } from './strategies/fusion-sections';
export { agreementScorer } from './strategies/agreement-scorer';
export { defaultRouter } from './strategies/default-router';
export { defaultGuard, noGuard, type DefaultGuardOptions } from './strategies/output-guard';
export { builtInRules, type RedactionRule } from './strategies/redaction-rules';
export { detectInjection, builtInInjectionHeuristics, type InjectionHeuristic } from './strategies/injection-heuristics';
export { classifyIntent, scoreIntents, defaultIntentRules, DEFAULT_INTENT, type IntentRule } from './strategies/intent-classifier';
export { intentRouter, type IntentRouterOptions, type IntentRoute, type FallbackRoute } from './strategies/intent-router';
export { modelRouter, type ModelRouterOptions } from './strategies/model-router';
export { aggregator, DEFAULT_AGGREGATOR_TEMPLATE, type AggregatorOptions } from './strategies/fusion-aggregator';
export type { BreakerState } from './strategies/circuit-breaker';
export { writeSSE } from './sinks/write-sse';
export { toSSEResponse } from './sinks/to-sse-response';
export { fromSSE } from './sinks/from-sse';
export { SSEResponseError } from './sinks/sse-response-error';
export { formatSSEEvent, type SSEOptions } from './sinks/sse-format';
export { openAICompatibleExpert, type OpenAICompatibleExpertOptions, type FetchLike } from './sources/openai-compatible-expert';
export { createDialogueServer } from './server/create-dialogue-server';
export type { DialogueServerOptions } from './server/server-options';
export type { ServedPlugin } from './server/route';
export type { CorsOptions } from './server/cors';
export { gracefulShutdown, type GracefulShutdownOptions } from './server/graceful-shutdown';
export { redisCache, type RedisCacheOptions } from './sources/redis-cache';
export { redisCoordinator, CoordinationError, type RedisCoordinatorOptions, type CoordinationOperation } from './sources/redis-coordinator';
