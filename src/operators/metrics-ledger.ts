/**
 * The figures of one request, folded from its events as they pass `finish` (the stream IS the
 * log of what happened): `start` gives the start, `timing` events the stages,
 * `experts-started` the start of execution and a view of each expert's progress, `plan` the
 * experts, `expert` events how each ended, `cache` and `complete` the flags. Per token: one
 * check (the first token's time is read once).
 */
import type { ChainEvent, ExpertProgress } from '../chain-events';
import type { ExpertOutcome } from '../events';
import type { Usage } from '../conversation';
import type { BottleneckRules, CacheFault, ExpertMetrics, PipelineMetrics, Pricing, Stage } from '../metrics';
import { findBottlenecks } from '../strategies/bottlenecks';

interface Ended { readonly ms: number; readonly tokens: number; readonly outcome: ExpertOutcome; readonly usage: Usage | undefined }

/** Collects one request's metrics from its events. */
export class MetricsLedger {
  private startedAt: number;
  private readonly stages: Partial<Record<Stage, number>> = {};
  /** Stages started and not yet timed, with their start (allocated on the first). */
  private running: Map<Stage, number> | undefined;
  private expertIds: readonly string[] = [];
  private models: ReadonlyMap<string, string> | undefined;
  /** How each expert ended (allocated on the first). */
  private ended: Map<string, Ended> | undefined;
  private executionAt: number | undefined;
  private progress: (() => readonly ExpertProgress[]) | undefined;
  private firstTokenAt: number | undefined;
  private cacheHit = false;
  private cacheFault: CacheFault | undefined;
  private degraded = false;

  /** `clock`: a scheduler (or anything with `now()`), read at the first token and at the end. */
  constructor(private readonly clock: { now(): number }, startedAt = clock.now(), private readonly pricing?: Pricing) {
    this.startedAt = startedAt;
  }

  /** Notes a token reaching the caller. */
  token(): void {
    if (this.firstTokenAt === undefined) this.firstTokenAt = this.clock.now();
  }

  /** Notes what an event tells about the request. */
  note(event: ChainEvent): void {
    switch (event.type) {
      case 'start':
        this.startedAt = event.at;
        return;
      case 'plan':
        this.expertIds = event.plan.tasks.map((task) => task.expertId);
        if (this.pricing !== undefined) this.models = new Map(event.plan.tasks.map((task) => [task.expertId, task.model]));
        return;
      case 'timing':
        if (event.ms === undefined) {
          (this.running ??= new Map()).set(event.stage, event.at);
        } else {
          this.running?.delete(event.stage);
          // A single-flight joiner counts a shared stage from its own start, not the leader's.
          const ms = Math.max(0, event.ms - Math.max(0, this.startedAt - event.at));
          this.stages[event.stage] = (this.stages[event.stage] ?? 0) + ms;
        }
        if (event.fault !== undefined) this.cacheFault = event.fault;
        return;
      case 'experts-started':
        this.executionAt = event.at;
        this.progress = event.progress;
        (this.running ??= new Map()).set('execution', event.at);
        return;
      case 'expert':
        (this.ended ??= new Map()).set(event.expertId, { ms: event.ms, tokens: event.tokens, outcome: event.outcome, usage: event.usage });
        return;
      case 'cache':
        if (event.hit) this.cacheHit = true;
        return;
      case 'complete':
        this.degraded = event.degraded;
        return;
      default:
    }
  }

  /** The figures as of now; experts still running count as cancelled. */
  snapshot(rules: BottleneckRules): PipelineMetrics {
    const now = this.clock.now();
    const stages = { ...this.stages };
    for (const [stage, at] of this.running ?? []) stages[stage] = (stages[stage] ?? 0) + (now - Math.max(at, this.startedAt));
    const experts = this.experts(now);
    const total = now - this.startedAt;
    return {
      total,
      stages,
      ttft: this.firstTokenAt === undefined ? null : this.firstTokenAt - this.startedAt,
      experts,
      cacheHit: this.cacheHit,
      degraded: this.degraded,
      bottlenecks: findBottlenecks(total, stages, experts, rules),
      ...(this.cacheFault === undefined ? {} : { cacheFault: this.cacheFault }),
      ...(this.pricing === undefined ? {} : { cost: this.costOf(experts) }),
    };
  }

  /** What the experts' usage costs by the pricing table (a model it does not list costs nothing). */
  private costOf(experts: Readonly<Record<string, ExpertMetrics>>): number {
    let cost = 0;
    for (const [id, figures] of Object.entries(experts)) {
      const price = this.pricing?.[this.models?.get(id) ?? ''];
      if (price === undefined || figures.usage === undefined) continue;
      cost += (figures.usage.inputTokens * price.inputPerMillion + figures.usage.outputTokens * price.outputPerMillion) / 1e6;
    }
    return cost;
  }

  /** Every planned expert once execution started: how it ended, or its progress (cancelled). */
  private experts(now: number): Record<string, ExpertMetrics> {
    const experts: Record<string, ExpertMetrics> = {};
    const startedAt = this.executionAt;
    if (startedAt === undefined) return experts;
    const progress = new Map((this.progress?.() ?? []).map((p) => [p.expertId, p]));
    for (const id of this.expertIds) {
      const seen = progress.get(id);
      const ttft = seen?.firstTokenAt === undefined ? null : seen.firstTokenAt - startedAt;
      const attempts = seen?.attempts ?? 0;
      const ended = this.ended?.get(id);
      experts[id] = ended === undefined
        ? { ttft, ms: now - startedAt, tokens: seen?.tokens ?? 0, attempts, outcome: 'cancelled' }
        : { ttft, ms: ended.ms, tokens: ended.tokens, attempts, outcome: ended.outcome, ...(ended.usage === undefined ? {} : { usage: ended.usage }) };
    }
    return experts;
  }
}
