/**
 * Case (f): 10,000 requests in flight at once, each with 3 stalled experts (they never send a
 * token: in the pipeline `NEVER`, in the floor an async generator awaiting its abort), default
 * options otherwise (memory cache, default guard, default deadlines: the
 * experts' first-token timers are armed). Measures:
 * - heap per in-flight request: `heapUsed` after a full GC with the requests running, minus
 *   before, over the number of requests;
 * - `cancel(id)` with the others in flight: ns from the call to the `cancelled` event reaching the
 *   consumer (synchronous in the pipeline), for `cancels` random requests, each replaced by a
 *   new one so 10,000 stay in flight;
 * - `cancelAll()`: ms from the call until every request's `cancelled` event was delivered.
 * The floor keeps 10,000 floor requests (bench/floor) with 3 stalled async generators each;
 * its cancel is `controller.abort()`, timed to its `cancelled` event (a few microtask turns).
 */
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { NEVER } from 'rxjs';
import type { Expert } from '../../src/ports';
import { stalled } from '../floor/experts';
import { startFloor, type FloorRun } from '../floor/request';
import type { Impl } from '../impls';
import type { Effort } from '../measure';
import type { InFlightCaseResult } from '../result';
import { summarize } from '../stats';
import { promptOf, requestIdOf, seededRandom } from '../workload';

/** Requests in flight. */
export const IN_FLIGHT = 10_000;
const EXPERTS = 3;

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with --expose-gc');
  collect();
  collect();
};

/** One request the case keeps in flight: how to cancel it, and when its `cancelled` arrived. */
interface Held { cancel(): void; cancelledAt: bigint; readonly done: Promise<void> }

type Start = (i: number) => Held;

const pipelineStarter = (): { start: Start; cancelAll: () => number } => {
  // Each side's plainest stalled provider: here an Observable that never emits (unsubscribing
  // it is the cancel), in the floor an async generator waiting on its AbortSignal.
  const experts: Expert[] = Array.from({ length: EXPERTS }, (_, k) => ({ id: `stalled-${k}`, model: 'bench', version: '1', stream: () => NEVER }));
  const plugin = new DialoguePlugin({ experts, limits: { maxConcurrent: Infinity, maxQueued: Infinity } });
  const start: Start = (i) => {
    const requestId = requestIdOf(i);
    let resolve = (): void => undefined;
    const held: Held = { cancel: () => plugin.cancel(requestId), cancelledAt: 0n, done: new Promise<void>((r) => { resolve = r; }) };
    plugin.process(promptOf(i), { requestId }).subscribe({
      next: (event) => {
        if (event.type === 'cancelled') held.cancelledAt = process.hrtime.bigint();
      },
      complete: resolve,
    });
    return held;
  };
  return { start, cancelAll: () => plugin.cancelAll() };
};

const floorStarter = (): { start: Start; cancelAll: (held: Iterable<Held>) => number } => {
  const experts = Array.from({ length: EXPERTS }, (_, k) => ({ id: `stalled-${k}`, stream: stalled }));
  const start: Start = (i) => {
    let run: FloorRun | undefined;
    const held: Held = {
      cancel: () => run?.cancel(),
      cancelledAt: 0n,
      done: Promise.resolve(),
    };
    run = startFloor(requestIdOf(i), experts, (event) => {
      if (event.type === 'cancelled') held.cancelledAt = process.hrtime.bigint();
    });
    (held as { done: Promise<void> }).done = run.done;
    return held;
  };
  return { start, cancelAll: (all) => { let n = 0; for (const h of all) { h.cancel(); n++; } return n; } };
};

/** Runs case (f) for one implementation. */
export const inFlightCase = async (name: string, impl: Impl, effort: Effort): Promise<InFlightCaseResult> => {
  if (impl === 'baseline') throw new Error(`${name}: no baseline (pipeline and floor only)`);
  const pipeline = impl === 'pipeline' ? pipelineStarter() : undefined;
  const floor = impl === 'floor' ? floorStarter() : undefined;
  const start = pipeline?.start ?? floor!.start;
  let next = 0;
  // Warm-up: start and cancel a few thousand, so the code is optimized and caches are warm.
  for (let round = 0; round < Math.max(1, Math.ceil(effort.warmup / 1000)); round++) {
    const warm = Array.from({ length: 1000 }, () => start(next++));
    for (const held of warm) held.cancel();
    await Promise.all(warm.map((held) => held.done));
  }
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = new Map<number, Held>();
  for (let k = 0; k < IN_FLIGHT; k++) {
    const i = next++;
    held.set(i, start(i));
  }
  await new Promise((resolve) => setImmediate(resolve)); // let the floor's async functions reach their awaits
  gc();
  const after = process.memoryUsage().heapUsed;

  const random = seededRandom(0xf1);
  const cancels = Math.max(200, Math.round(effort.budgetMs * 2 / 3));
  const cancelNs: number[] = [];
  for (let c = 0; c < cancels; c++) {
    const ids = [...held.keys()];
    const i = ids[Math.floor(random() * ids.length)]!;
    const victim = held.get(i)!;
    const at = process.hrtime.bigint();
    victim.cancel();
    if (victim.cancelledAt === 0n) await victim.done; // the floor's cancel lands a few microtask turns later
    cancelNs.push(Number(victim.cancelledAt - at));
    held.delete(i);
    const j = next++;
    held.set(j, start(j));
  }
  await new Promise((resolve) => setImmediate(resolve));
  const allAt = process.hrtime.bigint();
  const count = pipeline !== undefined ? pipeline.cancelAll() : floor!.cancelAll(held.values());
  await Promise.all([...held.values()].map((h) => h.done));
  const lastAt = [...held.values()].reduce((last, h) => (h.cancelledAt > last ? h.cancelledAt : last), 0n);
  const missing = [...held.values()].filter((h) => h.cancelledAt === 0n).length;
  return {
    kind: 'in-flight', case: name, impl, inFlight: IN_FLIGHT, experts: EXPERTS,
    heapPerRequestBytes: (after - before) / IN_FLIGHT,
    cancelOneNs: summarize(cancelNs),
    cancelAll: { requests: count, ms: Number(lastAt - allAt) / 1e6, missing },
  };
};
