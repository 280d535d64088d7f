/** Collects one request's timings as it runs and turns them into a {@link PipelineMetrics} snapshot. */
import type { ExpertOutcome } from '../events';
import { findBottlenecks, type BottleneckRules, type CacheFault, type ExpertMetrics, type PipelineMetrics, type Stage } from './metrics';

/** Mutable per-expert figures, filled in by the expert runner. */
export interface ExpertRecord {
  readonly startedAt: number;
  ttft: number | null;
  ms: number;
  tokens: number;
  /** The current attempt's text so far (single flight catches late joiners up from it). */
  text: string;
  attempts: number;
  outcome: ExpertOutcome | undefined;
}

/** Per-request metrics state; every time comes from the injected clock. */
export class MetricsRecorder {
  readonly stages: Partial<Record<Stage, number>> = {};
  experts: Record<string, ExpertRecord> = {};
  firstTokenAt: number | undefined;
  cacheHit = false;
  cacheFault: CacheFault | undefined;
  degraded = false;

  constructor(readonly startedAt: number) {}

  /** Adds `ms` to a stage (a stage that runs twice, e.g. after a retry, accumulates). */
  readonly stage = (stage: Stage, ms: number): void => {
    this.stages[stage] = (this.stages[stage] ?? 0) + ms;
  };

  /** Shares another recorder's expert records (single flight: one execution, several requests). */
  adoptExperts(other: MetricsRecorder): void {
    this.experts = other.experts;
  }

  /** Copies the given stages' figures from another recorder. */
  adoptStages(other: MetricsRecorder, stages: readonly Stage[]): void {
    for (const stage of stages) {
      const ms = other.stages[stage];
      if (ms !== undefined) this.stages[stage] = ms;
    }
  }

  /** Starts the record of one expert. */
  expert(expertId: string, at: number): ExpertRecord {
    const record: ExpertRecord = { startedAt: at, ttft: null, ms: 0, tokens: 0, text: '', attempts: 0, outcome: undefined };
    this.experts[expertId] = record;
    return record;
  }

  /** The figures as of `now`; experts that had not ended count as cancelled. */
  snapshot(now: number, rules: BottleneckRules): PipelineMetrics {
    const experts: Record<string, ExpertMetrics> = {};
    for (const id of Object.keys(this.experts)) {
      const r = this.experts[id];
      const ended = r.outcome !== undefined;
      experts[id] = {
        ttft: r.ttft, ms: ended ? r.ms : now - r.startedAt, tokens: r.tokens, attempts: r.attempts,
        outcome: r.outcome ?? 'cancelled',
      };
    }
    const total = now - this.startedAt;
    const stages = { ...this.stages };
    return {
      total,
      stages,
      ttft: this.firstTokenAt === undefined ? null : this.firstTokenAt - this.startedAt,
      experts,
      cacheHit: this.cacheHit,
      degraded: this.degraded,
      bottlenecks: findBottlenecks(total, stages, experts, rules),
      ...(this.cacheFault === undefined ? {} : { cacheFault: this.cacheFault }),
    };
  }
}
