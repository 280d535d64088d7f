/** Measures one implementation on a request workload: warm-up, one checked request, then a timed closed loop. */
import { closedLoop, warmUp } from './drive';
import { runnerFor, type Impl, type Workload } from './impls';
import type { RequestCaseResult } from './result';
import { createConsumer } from './workload';

/** How long and how hard to run: measure for `budgetMs` after at least `warmup` requests and `warmupMs` of warm-up. */
export interface Effort { readonly budgetMs: number; readonly warmup: number; readonly warmupMs: number }

/** Runs `impl` on `workload` with `concurrency` requests in flight. */
export const measureRequests = async (name: string, impl: Impl, workload: Workload, concurrency: number, effort: Effort): Promise<RequestCaseResult> => {
  let systemErrors = 0;
  const run = runnerFor(impl, workload, (error, context) => {
    if (systemErrors++ < 3) process.stderr.write(`${name}/${impl}: onSystemError at ${context.stage}: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  });
  const { onEvent } = createConsumer();
  const runOne = (i: number): Promise<void> => run(i, onEvent);
  const checked = await warmUp(runOne, { first: 0, count: effort.warmup, minMs: effort.warmupMs, concurrency });
  const probe = createConsumer();
  await run(checked, probe.onEvent);
  if (probe.seen.terminal !== 'complete') throw new Error(`${name}/${impl}: the checked request ended with "${probe.seen.terminal}"`);
  const load = await closedLoop(runOne, { first: checked + 1, concurrency, budgetMs: effort.budgetMs, minRequests: concurrency * 2 });
  return { kind: 'requests', case: name, impl, workload, load, warmupRequests: checked + 1, check: probe.seen };
};
