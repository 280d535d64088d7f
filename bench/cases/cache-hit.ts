/**
 * Case (i): the cache-hit path. One prompt is answered once (3 experts x 100 tokens, default
 * memory cache, default guard), then asked again and again, one request after another, each
 * with its own id: every request validates, plans, computes the key, hits, guards the cached
 * text and ends with `metrics` and `complete`. Reports requests per second.
 */
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { closedLoop, warmUp } from '../drive';
import type { Impl } from '../impls';
import type { Effort } from '../measure';
import type { CacheHitCaseResult } from '../result';
import { answerText, createConsumer, promptOf, requestIdOf } from '../workload';

/** Runs case (i) (pipeline only). */
export const cacheHitCase = async (name: string, impl: Impl, effort: Effort): Promise<CacheHitCaseResult> => {
  if (impl !== 'pipeline') throw new Error(`${name}: pipeline only`);
  const experts = [0, 1, 2].map((k) => simulatedExpert({ id: `expert-${k}`, answer: answerText(k, 100) }));
  const plugin = new DialoguePlugin({ experts });
  const prompt = promptOf(0);
  const { seen, onEvent } = createConsumer();
  const runOne = (i: number): Promise<void> => new Promise<void>((resolve, reject) => {
    plugin.process(prompt, { requestId: requestIdOf(i) }).subscribe({ next: onEvent, error: reject, complete: resolve });
  });
  await runOne(0); // answers and stores it
  const first = await warmUp(runOne, { first: 1, count: effort.warmup * 10, minMs: effort.warmupMs, concurrency: 1 });
  const load = await closedLoop(runOne, { first, concurrency: 1, budgetMs: effort.budgetMs });
  if (seen.terminal !== 'complete') throw new Error(`${name}: a request ended with ${seen.terminal}`);
  await plugin.close();
  return { kind: 'cache-hit', case: name, impl, load, requestsPerSecond: 1e9 / load.perRequestNs };
};
