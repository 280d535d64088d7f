/**
 * Translation between a shared execution's chain events and the {@link FlightRecord}s that
 * travel between replicas, plus the little state one replica keeps about a shared execution:
 * which sources have shown text (to discard it on a takeover), each source's text so far (for
 * local late joiners) and whether the execution has reached its result.
 *
 * The `answer` hand-off never leaves the process: the leader sends the fused text (before the
 * guard) and each follower builds its own `answer` hand-off from it.
 */
import type { ChainEvent, ExecuteEvent, ExpertProgress } from '../chain-events';
import type { PipelineEvent, RetryEvent, StatusEvent } from '../events';
import type { Clock, FlightRecord, SharedEvent } from '../ports';

/** Most takeovers one shared execution attempts before it ends with an `error`. */
export const MAX_TAKEOVERS = 3;

/** The record a leader appends for one of its execution's events; undefined for none. */
export const toRecord = (event: ChainEvent): FlightRecord | undefined => {
  switch (event.type) {
    case 'token':
    case 'retry':
    case 'status':
    case 'error': {
      const { requestId: _omitted, ...shared } = event;
      return { kind: 'event', event: shared as SharedEvent };
    }
    case 'expert': {
      // Usage is the leader's own: a follower on another replica spent nothing (counted once).
      const { requestId: _omitted, usage: _own, ...shared } = event;
      return { kind: 'event', event: shared as SharedEvent };
    }
    case 'answer':
      return { kind: 'answer', text: event.text, degraded: event.degraded };
    default:
      return undefined;
  }
};

/** One replica's view of a shared execution, for the `execute` of its local flight's first participant. */
export class SharedFlightState {
  private readonly shown = new Set<string>();
  private readonly experts = new Map<string, RemoteExpert>();
  private roundStartedAt: number;
  private announced = false;
  private resets = 0;
  /** True once the execution delivered its result (an `answer` or a terminal `error`). */
  done = false;

  constructor(private readonly execute: ExecuteEvent, private readonly clock: Clock) {
    this.roundStartedAt = clock.now();
  }

  /** Notes an event this replica passes on (its own execution's, or a decoded one). */
  note(event: ChainEvent): void {
    if (event.type === 'token') this.shown.add(event.source);
    else if (event.type === 'retry' && event.discard) this.shown.delete(event.source);
    else if (event.type === 'answer' || event.type === 'error') this.done = true;
  }

  /**
   * The execution restarts (a takeover or a local fallback): a `retry` with `discard: true`
   * for every source that showed text, and a `status` line. Nothing when nothing was shown.
   */
  restart(reason: string): ChainEvent[] {
    this.roundStartedAt = this.clock.now();
    this.announced = false;
    this.experts.clear();
    if (this.shown.size === 0) return [];
    this.resets++;
    const { requestId } = this.execute;
    const events: ChainEvent[] = [...this.shown].map((source): RetryEvent => ({
      type: 'retry', requestId, source, attempt: this.resets, maxRetries: MAX_TAKEOVERS, delayMs: 0, reason, discard: true,
    }));
    this.shown.clear();
    const status: StatusEvent = { type: 'status', requestId, message: `Restarting the answer: ${reason}` };
    return [...events, status];
  }

  /** The local events for a record read from the leader's log. */
  read(record: FlightRecord): ChainEvent[] {
    const { requestId, cacheKey, route } = this.execute;
    switch (record.kind) {
      case 'event': {
        const event = { ...record.event, requestId } as PipelineEvent;
        this.keepText(event);
        this.note(event);
        return [...this.announce(), event];
      }
      case 'answer': {
        const now = this.clock.now();
        const answer: ChainEvent = {
          type: 'answer', requestId, text: record.text, fromCache: false, degraded: record.degraded,
          ...(cacheKey === undefined ? {} : { cacheKey }), planId: route.plan.id,
        };
        this.note(answer);
        return [...this.announce(), { type: 'timing', requestId, stage: 'execution', at: this.roundStartedAt, ms: now - this.roundStartedAt }, answer];
      }
      case 'reset':
        return this.restart(record.reason);
      case 'end':
        return [];
    }
  }

  /** `experts-started` once per round, before the round's first event. */
  private announce(): ChainEvent[] {
    if (this.announced) return [];
    this.announced = true;
    const experts = this.experts;
    return [{
      type: 'experts-started', requestId: this.execute.requestId, at: this.roundStartedAt,
      progress: () => [...experts].map(([expertId, expert]): ExpertProgress => ({
        expertId, attempts: expert.attempts, tokens: expert.tokens, firstTokenAt: expert.firstTokenAt, textSoFar: () => expert.parts.join(''),
      })),
    }];
  }

  /** Each expert's progress as the leader's events tell it, for the metrics and local late joiners. */
  private keepText(event: PipelineEvent): void {
    if (event.type === 'token' && event.source !== 'fusion') {
      let expert = this.experts.get(event.source);
      if (expert === undefined) {
        expert = { attempts: 1, tokens: 0, firstTokenAt: this.clock.now(), parts: [] };
        this.experts.set(event.source, expert);
      }
      expert.tokens++;
      expert.parts.push(event.text);
    } else if (event.type === 'retry') {
      const expert = this.experts.get(event.source);
      if (expert === undefined) return;
      expert.attempts++;
      expert.tokens = 0;
      expert.parts = [];
    }
  }
}

/** What a follower knows of one of the leader's experts. */
interface RemoteExpert { attempts: number; tokens: number; firstTokenAt: number | undefined; parts: string[] }
