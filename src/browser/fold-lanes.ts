/**
 * The UI state of one request, folded from its events by a pure reducer: one lane per expert
 * (in plan order) and the fused answer. Every state is a new frozen object; what an event does
 * not touch (other lanes, the plan) is shared with the previous state, so a UI can compare by
 * reference. Browser-safe: no Node built-ins, no rxjs.
 */
import type { PipelineEvent, PublicError, RetryEvent } from '../events';
import type { PipelineMetrics } from '../metrics';
import type { ExecutionPlan } from '../plan';

/** Where an expert's lane is. `skipped`: the answer came from the cache, the expert was not asked. */
export type LaneStatus = 'waiting' | 'streaming' | 'retrying' | 'ok' | 'failed' | 'cancelled' | 'skipped';

/** The latest retry of a lane, as its `retry` event said. */
export type LaneRetry = Pick<RetryEvent, 'attempt' | 'maxRetries' | 'delayMs' | 'reason'>;

/** One expert's lane. */
export interface ExpertLane {
  readonly expertId: string;
  /** From the plan; '' for a source the plan did not name. */
  readonly model: string;
  readonly version: string;
  readonly status: LaneStatus;
  /** The text shown so far: the current attempt's tokens (a `retry` with `discard` empties it). */
  readonly text: string;
  /** The latest retry, kept after the next attempt starts. */
  readonly retry?: LaneRetry;
  /** From the lane's `expert` event: how long it ran, how many tokens, and a safe error text. */
  readonly ms?: number;
  readonly tokens?: number;
  readonly error?: string;
}

/** Where the request is: running until its terminal event. */
export type RequestStatus = 'running' | 'complete' | 'error' | 'cancelled';

/** The UI state of one request. */
export interface LanesSnapshot {
  /** '' until the first event. */
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly plan?: ExecutionPlan;
  readonly lanes: readonly ExpertLane[];
  /**
   * The fused answer: `fusion` and `cache` tokens as they stream, then `complete.text`, which
   * is always the final answer (it replaces the streamed text, e.g. when `degraded`).
   */
  readonly answer: string;
  readonly fromCache: boolean;
  readonly degraded: boolean;
  /** The latest `status` message ("Retry 1/2 in 180ms"). */
  readonly message?: string;
  readonly metrics?: PipelineMetrics;
  /** Set when `status` is `error`. */
  readonly error?: PublicError;
  /** Set when `status` is `cancelled`. */
  readonly cancelReason?: string;
}

/** The state before any event. */
export const EMPTY_LANES: LanesSnapshot = Object.freeze({
  requestId: '', status: 'running', lanes: Object.freeze([]), answer: '', fromCache: false, degraded: false,
});

/** Token sources that feed the answer rather than a lane. */
const isAnswerSource = (source: string): boolean => source === 'fusion' || source === 'cache';

const isActive = (lane: ExpertLane): boolean =>
  lane.status === 'waiting' || lane.status === 'streaming' || lane.status === 'retrying';

const newLane = (expertId: string, model = '', version = ''): ExpertLane =>
  Object.freeze({ expertId, model, version, status: 'waiting', text: '' });

const withState = (state: LanesSnapshot, change: Partial<LanesSnapshot>): LanesSnapshot =>
  Object.freeze({ ...state, ...change });

/** The lanes with `change` applied to `expertId`'s lane (added at the end when the plan did not name it). */
const updateLane = (lanes: readonly ExpertLane[], expertId: string, change: (lane: ExpertLane) => Partial<ExpertLane>): readonly ExpertLane[] => {
  const index = lanes.findIndex((lane) => lane.expertId === expertId);
  const lane = index === -1 ? newLane(expertId) : lanes[index];
  const next = Object.freeze({ ...lane, ...change(lane) });
  return Object.freeze(index === -1 ? [...lanes, next] : lanes.map((l, i) => (i === index ? next : l)));
};

/** The lanes with every lane that `status` picks changed to its status (the array is reused when none is). */
const settleLanes = (lanes: readonly ExpertLane[], status: (lane: ExpertLane) => LaneStatus | undefined): readonly ExpertLane[] => {
  let changed = false;
  const next = lanes.map((lane) => {
    const to = status(lane);
    if (to === undefined || to === lane.status) return lane;
    changed = true;
    return Object.freeze({ ...lane, status: to });
  });
  return changed ? Object.freeze(next) : lanes;
};

const endRunning = (lanes: readonly ExpertLane[]): readonly ExpertLane[] =>
  settleLanes(lanes, (lane) => (isActive(lane) ? 'cancelled' : undefined));

/**
 * The state after `event`; the same object when the event changes nothing (a cache miss, or
 * anything after the terminal event):
 * - `start`: the request id; `plan`: one waiting lane per task, in plan order;
 * - `cache` hit: `fromCache`, and every lane `skipped`;
 * - `token`: `fusion` and `cache` tokens append to `answer`; an expert's to its lane (now streaming);
 * - `retry`: the lane is retrying with the retry's figures; `discard` empties its text (or the
 *   answer, for `fusion` and `cache`);
 * - `expert`: the lane's outcome (`ok`, `failed`, `cancelled`), figures and error;
 * - `status`: `message`; `metrics`: `metrics`, and lanes still running take their outcome from it;
 * - `complete`: `answer` = `complete.text`, `fromCache`, `degraded`; `error`: `error`;
 *   `cancelled`: `cancelReason`. Each sets `status`, and lanes still running become `cancelled`.
 */
export const foldLanes = (state: LanesSnapshot, event: PipelineEvent): LanesSnapshot => {
  if (state.status !== 'running') return state;
  switch (event.type) {
    case 'start':
      return withState(state, { requestId: event.requestId });
    case 'plan':
      return withState(state, {
        requestId: event.requestId, plan: event.plan,
        lanes: Object.freeze(event.plan.tasks.map((task) => newLane(task.expertId, task.model, task.version))),
      });
    case 'cache':
      return event.hit ? withState(state, { fromCache: true, lanes: settleLanes(state.lanes, () => 'skipped') }) : state;
    case 'token':
      if (isAnswerSource(event.source)) return withState(state, { answer: state.answer + event.text });
      return withState(state, { lanes: updateLane(state.lanes, event.source, (lane) => ({ status: 'streaming', text: lane.text + event.text })) });
    case 'retry': {
      const { attempt, maxRetries, delayMs, reason, discard } = event;
      if (isAnswerSource(event.source)) return discard ? withState(state, { answer: '' }) : state;
      return withState(state, {
        lanes: updateLane(state.lanes, event.source, (lane) => ({
          status: 'retrying', retry: Object.freeze({ attempt, maxRetries, delayMs, reason }), text: discard ? '' : lane.text,
        })),
      });
    }
    case 'expert':
      return withState(state, {
        lanes: updateLane(state.lanes, event.expertId, () => ({ status: event.outcome, ms: event.ms, tokens: event.tokens, error: event.error })),
      });
    case 'status':
      return withState(state, { message: event.message });
    case 'metrics': {
      const { experts } = event.metrics;
      return withState(state, { metrics: event.metrics, lanes: settleLanes(state.lanes, (lane) => (isActive(lane) ? experts[lane.expertId]?.outcome : undefined)) });
    }
    case 'complete':
      return withState(state, {
        status: 'complete', answer: event.text, fromCache: event.fromCache, degraded: event.degraded, lanes: endRunning(state.lanes),
      });
    case 'error':
      return withState(state, { status: 'error', error: event.error, lanes: endRunning(state.lanes) });
    case 'cancelled':
      return withState(state, { status: 'cancelled', cancelReason: event.reason, lanes: endRunning(state.lanes) });
  }
};
