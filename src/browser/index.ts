/**
 * `dialogue-pipeline/browser`: what a web page needs to show a request, without Node built-ins:
 * `fromSSE` to read a server's events, the event types, and `toLanes` to fold them into UI state.
 */
export { fromSSE } from '../sinks/from-sse';
export { SSEResponseError } from '../sinks/sse-response-error';
export { isTerminal } from '../events';
export type * from '../events';
export type { ExecutionPlan, PlanTask } from '../plan';
export type { PipelineMetrics, ExpertMetrics, Stage, CacheFault } from '../metrics';
export { toLanes } from './to-lanes';
export { foldLanes, EMPTY_LANES, type LanesSnapshot, type ExpertLane, type LaneStatus, type LaneRetry, type RequestStatus } from './fold-lanes';
