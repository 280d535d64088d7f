/**
 * Translation between a shared execution's stage events and the {@link FlightRecord}s that
 * travel between replicas, plus the little state one replica keeps about a shared execution:
 * which sources have shown text (to discard it on a takeover) and whether the execution has
 * reached its result.
 *
 * The `answer` hand-off carries a Job and cannot leave the process: the leader sends the fused
 * text (before the guard) and each follower builds its own `answer` hand-off from it.
 */
import type { PipelineEvent, RetryEvent, StatusEvent } from '../events';
import type { FlightRecord, SharedEvent } from '../ports';
import type { Clock } from '../operators/timed';
import type { Job } from './job';
import { handoff, type StageEvent } from './stage-events';

/** Most takeovers one shared execution attempts before it ends with an `error`. */
export const MAX_TAKEOVERS = 3;

/** The record a leader appends for one of its execution's events; undefined for none. */
export const toRecord = (event: StageEvent): FlightRecord | undefined => {
  switch (event.type) {
    case 'token':
    case 'retry':
    case 'status':
    case 'expert':
    case 'error': {
      const { requestId: _omitted, ...shared } = event;
      return { kind: 'event', event: shared as SharedEvent };
    }
    case 'answer': {
      const result = event.job.result;
      return result === undefined ? undefined : { kind: 'answer', text: result.text, degraded: result.degraded };
    }
    default:
      return undefined;
  }
};

/** One replica's view of a shared execution, for one local job (the local flight's first). */
export class SharedFlightState {
  private readonly shown = new Set<string>();
  private roundStartedAt: number;
  private resets = 0;
  /** True once the execution delivered its result (an `answer` or a terminal `error`). */
  done = false;

  constructor(private readonly job: Job, private readonly clock: Clock) {
    this.roundStartedAt = clock.now();
  }

  /** Notes an event this replica passes on (its own execution's, or a decoded one). */
  note(event: StageEvent): void {
    if (event.type === 'token') this.shown.add(event.source);
    else if (event.type === 'retry' && event.discard) this.shown.delete(event.source);
    else if (event.type === 'answer' || event.type === 'error') this.done = true;
  }

  /**
   * The execution restarts (a takeover or a local fallback): a `retry` with `discard: true`
   * for every source that showed text, and a `status` line. Nothing when nothing was shown.
   */
  restart(reason: string): StageEvent[] {
    this.roundStartedAt = this.clock.now();
    this.forgetExperts();
    if (this.shown.size === 0) return [];
    this.resets++;
    const { requestId } = this.job;
    const events: StageEvent[] = [...this.shown].map((source): RetryEvent => ({
      type: 'retry', requestId, source, attempt: this.resets, maxRetries: MAX_TAKEOVERS, delayMs: 0, reason, discard: true,
    }));
    this.shown.clear();
    const status: StatusEvent = { type: 'status', requestId, message: `Restarting the answer: ${reason}` };
    return [...events, status];
  }

  /** The local events for a record read from the leader's log. */
  read(record: FlightRecord): StageEvent[] {
    switch (record.kind) {
      case 'event': {
        const event = { ...record.event, requestId: this.job.requestId } as PipelineEvent;
        this.recordRemote(event);
        this.note(event);
        return [event];
      }
      case 'answer': {
        this.job.result = { text: record.text, fromCache: false, degraded: record.degraded };
        this.job.metrics.stage('execution', this.clock.now() - this.roundStartedAt);
        const answer = handoff('answer', this.job);
        this.note(answer);
        return [answer];
      }
      case 'reset':
        return this.restart(record.reason);
      case 'end':
        return [];
    }
  }

  /**
   * Keeps this job's expert records as the leader's expert runs keep theirs (the local flight
   * catches late local joiners up from them): the current attempt's text, tokens, and the end.
   */
  private recordRemote(event: PipelineEvent): void {
    const experts = this.job.metrics.experts;
    const now = this.clock.now();
    switch (event.type) {
      case 'token': {
        if (!this.isExpert(event.source)) return;
        let record = experts[event.source];
        if (record === undefined) {
          record = this.job.metrics.expert(event.source, now);
          record.attempts = 1;
        }
        if (record.tokens++ === 0 && record.ttft === null) record.ttft = now - record.startedAt;
        record.text += event.text;
        return;
      }
      case 'retry': {
        const record = experts[event.source];
        if (record === undefined) return;
        record.attempts++;
        record.tokens = 0;
        record.text = '';
        return;
      }
      case 'expert': {
        const record = experts[event.expertId] ?? this.job.metrics.expert(event.expertId, now - event.ms);
        record.ms = event.ms;
        record.tokens = event.tokens;
        record.attempts = Math.max(1, record.attempts);
        record.outcome = event.outcome;
        return;
      }
      default:
    }
  }

  private isExpert(source: string): boolean {
    return this.job.route?.plan.tasks.some((task) => task.expertId === source) === true;
  }

  /** Forgets the expert records of an abandoned round (shared with the local participants). */
  private forgetExperts(): void {
    const experts = this.job.metrics.experts;
    for (const id of Object.keys(experts)) delete experts[id];
  }
}
