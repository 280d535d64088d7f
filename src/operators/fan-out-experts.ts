/**
 * `fanOutExperts(deps)`: on the `execute` hand-off, runs every expert of the job's plan in
 * parallel and forwards each token the moment it arrives (time to first token = the fastest
 * expert's). When all experts have ended it emits the `answers` hand-off. Other events pass
 * through. Unsubscribing stops every expert at once.
 *
 *     source:  x--------|             x = execute (2 experts)
 *     result:  --a-b-A-(eE)(n|)      tokens interleaved, expert events, n = answers
 */
import { concat, defer, merge, of, type OperatorFunction } from 'rxjs';
import type { PipelineDeps } from '../pipeline/deps';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import { handle } from './handle';
import { runExpert, type RunExpertDeps } from './run-expert';
import { timed } from './timed';

/** What fan-out needs. */
export type FanOutDeps = RunExpertDeps & Pick<PipelineDeps, 'clock'>;

/** Runs the plan's experts in parallel on `execute`. */
export const fanOutExperts = (deps: FanOutDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('execute', ({ job }) => {
    const experts = job.route?.experts ?? [];
    const runs = experts.map((expert, slot) => runExpert(expert, slot, job, deps));
    return concat(
      merge(...runs).pipe(timed('execution', { clock: deps.clock, record: job.metrics.stage })),
      defer(() => of(handoff('answers', job))),
    );
  });
