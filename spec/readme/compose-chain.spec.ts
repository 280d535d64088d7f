/** README, "Compose your own chain": the first example, exactly as printed there (spec/readme/readme.spec.ts checks it). */
// #region example
import { map, of } from 'rxjs';
import { DialoguePlugin, requestEvent, simulatedExpert, type ChainEvent } from '../../src/index';

const plugin = new DialoguePlugin({
  experts: [
    simulatedExpert({ id: 'brief', answer: 'Use switchMap to cancel the previous request.' }),
    simulatedExpert({ id: 'thorough', answer: 'Use switchMap: it cancels the previous inner request.' }),
  ],
});
const { validate, plan, cacheLookup, execution, guard, storeAnswer, finish } = plugin.operators;

// Yours: a footer on the fused answer, after fusion and before the guard (so it is guarded and cached too).
const withFooter = map((event: ChainEvent): ChainEvent =>
  (event.type === 'answer' && !event.fromCache ? { ...event, text: `${event.text}\n\n(checked by 2 experts)` } : event));

const events$ = of<ChainEvent>(requestEvent('How do I cancel a stale HTTP call in RxJS?', { requestId: 'q1' })).pipe(
  validate, plan, cacheLookup, execution, withFooter, guard, storeAnswer, finish,
);
// #endregion example

import { lastValueFrom, toArray } from 'rxjs';

describe('README: Compose your own chain', () => {
  afterAll(() => plugin.close());

  it('runs the plugin chain with an operator of yours between fuse and guard', async () => {
    const events = await lastValueFrom(events$.pipe(toArray()));
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['start', 'plan', 'cache', 'token', 'expert', 'metrics', 'complete']));
    // Estimated, about 4 characters a token: the 43-character question (11) in for each expert, 45 and 53 characters (12, 14) out.
    expect(events.at(-1)).toEqual({
      type: 'complete', requestId: 'q1', text: 'Use switchMap to cancel the previous request.\n\n(checked by 2 experts)', fromCache: false, degraded: false,
      usage: { inputTokens: 22, outputTokens: 26, estimated: true },
    });
  });

  it('caches the answer with your footer: the same request again comes from the cache', async () => {
    const again = of<ChainEvent>(requestEvent('How do I cancel a stale HTTP call in RxJS?', { requestId: 'q2' })).pipe(
      validate, plan, cacheLookup, execution, withFooter, guard, storeAnswer, finish,
    );
    const events = await lastValueFrom(again.pipe(toArray()));
    expect(events.at(-1)).toEqual(expect.objectContaining({
      fromCache: true, text: 'Use switchMap to cancel the previous request.\n\n(checked by 2 experts)', usage: { inputTokens: 0, outputTokens: 0, estimated: false },
    }));
  });
});
