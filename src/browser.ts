/**
 * The browser entry (`dialogue-pipeline/browser`): what a web page needs to show a dialogue,
 * with no Node built-ins: `fromSSE` to read a request's events from the server, and the event,
 * plan and metrics types.
 */
export * from './events';
export type { ExecutionPlan, PlanTask } from './plan';
export type { PipelineMetrics, ExpertMetrics, Stage, CacheFault } from './metrics';
export { fromSSE } from './sinks/from-sse';
export { SSEResponseError } from './sinks/sse-response-error';
