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
export { defaultGuard, noGuard } from './strategies/output-guard';
