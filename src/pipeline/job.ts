/** Per-request state, carried by the internal stage events so operators can stay built once per plugin. */
import type { Expert, ExpertAnswer, DialogueRequest, FusionStrategy } from '../ports';
import type { ExecutionPlan, KeyPlan } from '../plan';
import { MetricsRecorder } from './metrics-recorder';

/** What the caller passed to `process`, before validation. */
export interface RawRequest { readonly prompt: unknown; readonly options: unknown }

/** The plan plus what running it needs: the experts, the fusion and the key material. */
export interface Route {
  readonly plan: ExecutionPlan;
  readonly keyPlan: KeyPlan;
  readonly experts: readonly Expert[];
  readonly fusion: FusionStrategy;
}

/** The answer before the guard's final pass. */
export interface JobResult { readonly text: string; readonly fromCache: boolean; readonly degraded: boolean }

/** One request's state. Each stage fills in its part. */
export interface Job {
  readonly requestId: string;
  readonly raw: RawRequest;
  readonly metrics: MetricsRecorder;
  request?: DialogueRequest;
  /** Experts whose half-open breaker probe this request holds; freed when the request ends. */
  readonly probes: string[];
  /** Prompt-injection heuristics the prompt matched (when flagging). */
  injection?: readonly string[];
  route?: Route;
  cacheKey?: string;
  /** Expert answers by plan position; undefined where the expert failed. */
  answers: (ExpertAnswer | undefined)[];
  /** Final errors of the experts that failed. */
  readonly expertErrors: unknown[];
  result?: JobResult;
  /** Called once when the request ends (terminal event or unsubscribe). */
  release(): void;
}

/** A fresh job. `release` runs at most once. */
export const createJob = (requestId: string, raw: RawRequest, startedAt: number, onRelease: () => void = () => undefined): Job => {
  let released = false;
  return {
    requestId, raw, metrics: new MetricsRecorder(startedAt), answers: [], expertErrors: [], probes: [],
    release: () => {
      if (released) return;
      released = true;
      onRelease();
    },
  };
};
