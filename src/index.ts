/** dialogue-pipeline: one prompt, several LLM experts, one RxJS chain. The public API. */
// The model: events, errors, plans, ports, metrics.
export * from './events';
export * from './errors';
export type {
  ChainEvent, ChainEventType, ChainEventOf, HandoffEvent, RequestEvent, ValidatedEvent, PlannedEvent, ExecuteEvent,
  ExpertsStartedEvent, AnswersEvent, AnswerEvent, GuardedEvent, TimingEvent,
} from './chain-events';
export { isHandoff, requestEvent } from './chain-events';
export type { ExecutionPlan, PlanTask, KeyPlan, Route } from './plan';
export type {
  Expert, ExpertTask, AttemptTracer, AttemptTrace, AttemptEnd, ResponseCache, CachedAnswer, FusionStrategy, ExpertAnswer, FusionContext, AnswerScorer,
  OutputGuard, TokenRedactor, Validator, Router, RouteDecision, RouteInput, ExpertStatus, DialogueRequest,
  Coordinator, FlightClaim, FlightLeader, FlightFollower, FlightRecord, SharedEvent, RemoteCancel,
  Clock, SystemErrorContext, SystemErrorReporter, CacheWriter,
} from './ports';
export type { PipelineMetrics, ExpertMetrics, Stage, CacheFault, BottleneckRules, ModelPrice, Pricing } from './metrics';
export type { ChatRole, ChatMessage, GenerationParams, Usage, DialogueInput } from './conversation';

// The operators: compose your own chain (README, "Compose your own chain").
export { validate, type ValidateDeps, type InputGuard } from './operators/validate';
export { plan, type PlanDeps } from './operators/plan';
export { cacheLookup, type CacheLookupDeps } from './operators/cache-lookup';
export { fanOutExperts, type FanOutDeps } from './operators/fan-out-experts';
export type { ExecutionDeps } from './operators/execution';
export { expertRun, type ExpertRunDeps, type RetryPolicy, type RetryNotice, type RunProgress, type RunTask, type TaskSource } from './operators/expert-run';
export { watchDeadlines, type ExpertDeadlines } from './operators/expert-deadlines';
export { createExecutionSlots, type ExecutionSlots } from './operators/execution-slots';
export { singleFlight, type SingleFlightOptions, type Coordinate } from './operators/single-flight';
export { fuse, type FuseDeps } from './operators/fuse';
export { guard, type GuardDeps } from './operators/guard';
export { storeAnswer, type StoreAnswerDeps } from './operators/store-answer';
export { untilCancelled } from './operators/until-cancelled';
export { finish, type FinishDeps } from './operators/finish';
export { timed } from './operators/timed';
export { staged, stagesOf, openStages, type ChainStage, type StagedOptions, type StageContext, type StageObserver, type StageSink, type StageRunner, type StageHold, type HoldTeardown } from './operators/staged';

// Strategies: plain functions.
export { cacheKey, canonicalJson, hashTaskParams, CACHE_SCHEMA_VERSION } from './strategies/cache-key';
export { MAX_TOKENS_LIMIT, MAX_STOP_SEQUENCES } from './strategies/validate-params';
export { createRouteBuilder, registerExperts, type RouteBuilder, type RegisteredExpert } from './strategies/route-builder';
export { defaultBottleneckRules, findBottlenecks } from './strategies/bottlenecks';
export { createCircuitBreakers, type BreakerState, type BreakerOptions, type CircuitBreakers } from './strategies/circuit-breaker';
export { backoffDelay, parseRetryAfter, seededRandom, type BackoffOptions } from './strategies/backoff';
export { bestFusion, type BestFusionOptions } from './strategies/fusion-best';
export { firstFusion } from './strategies/fusion-first';
export { sectionsFusion, type SectionsFusionOptions } from './strategies/fusion-sections';
export { resolveFusion, type FusionName } from './strategies/fusion-registry';
export { agreementScorer, pickBest, scoreAnswers } from './strategies/agreement-scorer';
export { defaultRouter } from './strategies/default-router';
export { defaultGuard, noGuard, type DefaultGuardOptions } from './strategies/output-guard';
export { builtInRules, literalAtoms, literalSteps, prefixChain, run as shapeRun, luhnValid, cardBrand, type RedactionRule, type RuleBlock, type RuleShape, type ShapeStep } from './strategies/redaction-rules';
export { createRedactor, redactText, type RedactorOptions } from './strategies/streaming-redactor';
export { detectInjection, builtInInjectionHeuristics, type InjectionHeuristic } from './strategies/injection-heuristics';
export { classifyIntent, scoreIntents, defaultIntentRules, DEFAULT_INTENT, type IntentRule } from './strategies/intent-classifier';
export { intentRouter, type IntentRouterOptions, type IntentRoute, type FallbackRoute } from './strategies/intent-router';
export { modelRouter, type ModelRouterOptions } from './strategies/model-router';
export { aggregator, DEFAULT_AGGREGATOR_TEMPLATE, type AggregatorOptions } from './strategies/fusion-aggregator';
export { describeFailure } from './strategies/describe-failure';
export { redactedError } from './strategies/redacted-error';
export type { RequestLimits } from './strategies/validate-request';
export { isRequestId, REQUEST_ID_PATTERN } from './strategies/request-id';

// The plugin: the chain composed once, with its defaults.
export { DialoguePlugin, type ProcessOptions } from './pipeline/dialogue-plugin';
export type { DialoguePluginOptions } from './pipeline/options';
export { buildChain, type ChainDeps, type RunRequest, type Chain, type ChainOperators } from './pipeline/chain';
export { memoryCache, type MemoryCacheOptions } from './pipeline/memory-cache';
export { createCacheWriter, type CacheWriterOptions } from './pipeline/cache-writer';
export { CancelRegistry, abortReason, type Registration } from './pipeline/cancel-registry';

// Sources and sinks: experts, stores, coordination, server-sent events.
export { simulatedExpert, type SimulatedExpert, type SimulatedExpertOptions, type SimulatedExpertStats, type SimulatedFault } from './sources/simulated-expert';
export { keyvCache, type KeyvCacheOptions } from './sources/keyv-cache';
export { sqliteCache, type SqliteCacheOptions } from './sources/sqlite-cache';
export { openAICompatibleExpert, type OpenAICompatibleExpertOptions, type FetchLike } from './sources/openai-compatible-expert';
export { redisCache, type RedisCacheOptions } from './sources/redis-cache';
export { redisCoordinator, CoordinationError, type RedisCoordinatorOptions, type CoordinationOperation } from './sources/redis-coordinator';
export { writeSSE } from './sinks/write-sse';
export { toSSEResponse } from './sinks/to-sse-response';
export { fromSSE } from './sinks/from-sse';
export { incomingTraceContext } from './sources/incoming-trace-context';
export type { TracingOption } from './pipeline/request-tracing';
export { REQUEST_SPAN, stageSpanName } from './pipeline/request-span';
export { SSEResponseError } from './sinks/sse-response-error';
export { formatSSEEvent, SSE_HEADERS, SSE_HEARTBEAT, type SSEOptions } from './sinks/sse-format';

// The HTTP server. Last: the server's modules import this entry, so everything above is defined when they load.
export { createDialogueServer } from './server/create-dialogue-server';
export type { DialogueServerOptions } from './server/server-options';
export type { ApiKeys, ApiKeyGrant } from './server/tenancy/api-keys';
export type { TenantLimitOptions } from './server/tenancy/tenant-limits';
export type { ServerTimeoutOptions } from './server/connections/server-timeouts';
export { LOG_LEVELS, type LogLevel, type LogOptions, type LogDestination } from './server/logging/server-logger';
export type { ServedPlugin } from './server/route';
export type { CorsOptions } from './server/cors';
export type { ReadinessOptions } from './server/readiness';
export { gracefulShutdown, type GracefulShutdownOptions } from './server/graceful-shutdown';
