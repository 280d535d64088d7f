/**
 * `finish(deps, scheduler)`: the end of every request's chain; turns the chain's events into the
 * public ones. Folds the metrics facts (`timing`, `experts-started`) into the `metrics` event
 * and drops them; on the first terminal event it calls `onEnd` (so the request no longer counts
 * as in flight), emits `metrics` then the terminal event, and completes, which tears down
 * everything upstream. Guarantees the contract's invariant: exactly one terminal event, always
 * last, and the Observable never errors. An upstream error, a hand-off reaching the end, or an
 * end without a terminal event becomes an `error` event (kind `system`) reported to
 * `reportSystemError`.
 *
 * `new Observable` because every token passes here: one hop.
 *
 *     source:  -s-t-t-c-     (c = complete)
 *     result:  -s-t-t-(mc|)  (m = metrics)
 */
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { isHandoff, type ChainEvent } from '../chain-events';
import { isTerminal, type PipelineEvent, type TerminalEvent } from '../events';
import type { BottleneckRules } from '../metrics';
import type { SystemErrorReporter } from '../ports';
import { defaultBottleneckRules } from '../strategies/bottlenecks';
import { systemErrorEvent } from '../strategies/error-events';
import { MetricsLedger } from './metrics-ledger';

/** What finishing needs. */
export interface FinishDeps {
  /** When a stage or an expert counts as a bottleneck. Default: `defaultBottleneckRules(100)`. */
  readonly bottlenecks?: BottleneckRules;
  readonly reportSystemError?: SystemErrorReporter;
  /** Called once per request, on its terminal event, before `metrics` is emitted. */
  readonly onEnd?: (requestId: string) => void;
}

const DEFAULT_RULES = defaultBottleneckRules(100);

/** Ends the request's stream with metrics and its one terminal event. */
export const finish = ({ bottlenecks = DEFAULT_RULES, reportSystemError, onEnd }: FinishDeps = {}, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, PipelineEvent> =>
  (source) => new Observable<PipelineEvent>((subscriber) => {
    const ledger = new MetricsLedger(() => scheduler.now());
    let requestId = '';
    let ended = false;
    const end = (terminal: TerminalEvent): void => {
      if (ended) return;
      ended = true;
      ledger.note(terminal);
      onEnd?.(requestId);
      subscriber.next({ type: 'metrics', requestId, metrics: ledger.snapshot(bottlenecks) });
      subscriber.next(terminal);
      subscriber.complete();
    };
    // After the terminal, a synchronous source still calls us until `subscribe` returns: ignore it all.
    const fail = (error: unknown): void => {
      if (!ended) end(systemErrorEvent('system', error, { requestId, stage: 'pipeline' }, reportSystemError ?? (() => undefined)));
    };
    return source.subscribe({
      next: (event) => {
        if (ended) return;
        if (requestId === '') requestId = event.requestId;
        if (event.type === 'token') {
          ledger.token();
          subscriber.next(event);
          return;
        }
        if (isTerminal(event)) end(event);
        else if (event.type === 'timing' || event.type === 'experts-started') ledger.note(event);
        else if (isHandoff(event)) fail(new Error(`internal hand-off "${event.type}" reached the end of the chain`));
        else {
          ledger.note(event);
          subscriber.next(event);
        }
      },
      error: fail,
      complete: () => {
        if (!ended) fail(new Error('the chain ended without a terminal event'));
      },
    });
  });
