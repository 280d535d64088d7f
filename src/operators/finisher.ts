/**
 * The end of a request's chain as a sink: what `finish` does with each event, usable on its
 * own where the chain is fused (see envelope.ts). Folds the metrics facts into the `metrics`
 * event and drops them; on the first terminal event calls `onEnd`, emits `metrics` then the
 * terminal event, and completes the subscriber; an error, a hand-off, or an end without a
 * terminal event becomes an `error` event (kind `system`). Nothing passes after the terminal.
 */
import type { SchedulerLike, Subscriber } from 'rxjs';
import { isHandoff, type ChainEvent, type TimingEvent } from '../chain-events';
import { isTerminal, type PipelineEvent, type TerminalEvent, type TokenEvent } from '../events';
import type { BottleneckRules, Pricing } from '../metrics';
import type { SystemErrorReporter } from '../ports';
import { defaultBottleneckRules } from '../strategies/bottlenecks';
import { systemErrorEvent } from '../strategies/error-events';
import { MetricsLedger } from './metrics-ledger';
import type { StageSink } from './staged';

/** What finishing needs. */
export interface FinishDeps {
  /** When a stage or an expert counts as a bottleneck. Default: `defaultBottleneckRules(100)`. */
  readonly bottlenecks?: BottleneckRules;
  readonly reportSystemError?: SystemErrorReporter;
  /** Called once per request, on its terminal event, before `metrics` is emitted. */
  readonly onEnd?: (requestId: string) => void;
  /** Prices per model: adds `cost` to the metrics. */
  readonly pricing?: Pricing;
  /** Told every stage timing fact (tracing's stage spans); never called per token. */
  readonly onTiming?: (event: TimingEvent) => void;
}

const DEFAULT_RULES = defaultBottleneckRules(100);
const noReport: SystemErrorReporter = () => undefined;

/** The finishing sink of one request, delivering public events to `subscriber`. */
export class Finisher implements StageSink {
  private readonly ledger: MetricsLedger;
  /** True once the terminal event went out. */
  ended = false;

  /** `requestId`: when known up front (else taken from the first event). */
  constructor(private readonly subscriber: Subscriber<PipelineEvent>, private readonly deps: FinishDeps, scheduler: SchedulerLike, private requestId = '') {
    this.ledger = new MetricsLedger(scheduler, scheduler.now(), deps.pricing);
  }

  next(event: ChainEvent): void {
    if (this.ended) return;
    if (this.requestId === '') this.requestId = event.requestId;
    if (event.type === 'token') {
      this.token(event);
    } else if (isTerminal(event)) {
      this.end(event);
    } else if (event.type === 'timing' || event.type === 'experts-started') {
      if (event.type === 'timing') this.deps.onTiming?.(event);
      this.ledger.note(event);
    } else if (isHandoff(event)) {
      this.error(new Error(`internal hand-off "${event.type}" reached the end of the chain`));
    } else {
      this.ledger.note(event);
      this.subscriber.next(event);
    }
  }

  /** A token, to the caller (the hot path: no dispatch on the event's type). */
  token(event: TokenEvent): void {
    if (this.ended) return;
    this.ledger.token();
    this.subscriber.next(event);
  }

  error(error: unknown): void {
    if (!this.ended) this.end(systemErrorEvent('system', error, { requestId: this.requestId, stage: 'pipeline' }, this.deps.reportSystemError ?? noReport));
  }

  complete(): void {
    if (!this.ended) this.error(new Error('the chain ended without a terminal event'));
  }

  private end(terminal: TerminalEvent): void {
    this.ended = true;
    this.ledger.note(terminal);
    this.deps.onEnd?.(this.requestId);
    this.subscriber.next({ type: 'metrics', requestId: this.requestId, metrics: this.ledger.snapshot(this.deps.bottlenecks ?? DEFAULT_RULES) });
    this.subscriber.next(terminal);
    this.subscriber.complete();
  }
}
