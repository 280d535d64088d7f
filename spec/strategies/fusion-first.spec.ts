import { asapScheduler } from 'rxjs';
import { FusionError } from '../../src/errors';
import type { ExpertAnswer, FusionContext } from '../../src/ports';
import { collectSync } from '../support/collect-sync';
import { firstFusion } from '../../src/strategies/fusion-first';

const context: FusionContext = {
  prompt: 'p',
  plan: { id: 'p1', intent: 'chat', tasks: [], fusion: { id: 'first', version: '1' } },
  scheduler: asapScheduler,
};

const answer = (expertId: string, ms: number): ExpertAnswer => ({ expertId, text: `from ${expertId}`, ms, tokens: 2 });

const collect = collectSync;

describe('firstFusion', () => {
  it('declares id, version, order sensitivity and select mode', () => {
    const s = firstFusion();
    expect({ id: s.id, version: s.version, orderSensitive: s.orderSensitive, mode: s.mode })
      .toEqual({ id: 'first', version: '1', orderSensitive: true, mode: 'select' });
  });

  it('picks the answer with the smallest ms, wherever it is in plan order', () => {
    const answers = [answer('slow', 300), answer('mid', 120), answer('fast', 40), answer('slower', 500)];
    expect(collect(firstFusion().fuse(answers, context))).toEqual({ values: ['from fast'], error: undefined, completed: true });
  });

  it('breaks ties by plan order', () => {
    expect(collect(firstFusion().fuse([answer('b', 50), answer('a', 50), answer('c', 60)], context)).values).toEqual(['from b']);
    expect(collect(firstFusion().fuse([answer('c', 60), answer('a', 50), answer('b', 50)], context)).values).toEqual(['from a']);
  });

  it('returns a single answer', () => {
    expect(collect(firstFusion().fuse([answer('only', 999)], context)).values).toEqual(['from only']);
  });

  it('errors with a FusionError on no answers', () => {
    const result = collect(firstFusion().fuse([], context));
    expect(result.values).toEqual([]);
    expect(FusionError.isInstance(result.error)).toBe(true);
    expect(result.error).toEqual(expect.objectContaining({ _tag: 'FusionError', strategyId: 'first' }));
  });
});
