/**
 * `fanOutExperts(deps)`: on the `execute` hand-off, runs every expert of the job's plan in
 * parallel and forwards each token the moment it arrives (time to first token = the fastest
 * expert's). When all experts have ended it emits the `answers` hand-off. Other events pass
 * through. Unsubscribing stops every expert at once. At most `limits.maxConcurrent` fan-outs
 * run at once and `limits.maxQueued` wait (`slots`); beyond that an `error` of kind
 * `overloaded` at once.
 *
 *     source:  x--------|             x = execute (2 experts)
 *     result:  --a-b-A-(eE)(n|)      tokens interleaved, expert events, n = answers
 */
import { of, type OperatorFunction } from 'rxjs';
import { systemErrorEvent } from '../pipeline/error-events';
import type { PipelineDeps } from '../pipeline/deps';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import { handle } from './handle';
import { runExpert, type RunExpertDeps } from './run-expert';
import { fanIn } from './fan-in';

/** What fan-out needs. */
export type FanOutDeps = RunExpertDeps & Pick<PipelineDeps, 'clock' | 'slots'>;

/** Runs the plan's experts in parallel on `execute`. */
export const fanOutExperts = (deps: FanOutDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('execute', ({ job }) => {
    const experts = job.route?.experts ?? [];
    const runs = experts.map((expert, slot) => runExpert(expert, slot, job, deps));
    const work$ = fanIn<StageEvent>(runs, () => handoff('answers', job), 'execution', { clock: deps.clock, record: job.metrics.stage });
    return deps.slots.run(work$, (refusal) => of(systemErrorEvent('overloaded', refusal,
      { requestId: job.requestId, stage: 'execution', plan: job.route?.plan }, deps.reportSystemError)));
  });
