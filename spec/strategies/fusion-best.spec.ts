import { asapScheduler } from 'rxjs';
import { FusionError } from '../../src/errors';
import type { ExpertAnswer, FusionContext } from '../../src/ports';
import { collectSync } from '../support/collect-sync';
import { bestFusion } from '../../src/strategies/fusion-best';

const context: FusionContext = {
  prompt: 'What is the capital of France?',
  plan: { id: 'p1', intent: 'chat', tasks: [], fusion: { id: 'best', version: '1' } },
  scheduler: asapScheduler,
};

const answer = (expertId: string, text: string): ExpertAnswer => ({ expertId, text, ms: 10, tokens: 1 });

/** Subscribes and records synchronously; the strategies emit synchronously. */
const collect = collectSync;

describe('bestFusion', () => {
  it('declares id, default version, order sensitivity and select mode', () => {
    const s = bestFusion();
    expect({ id: s.id, version: s.version, orderSensitive: s.orderSensitive, mode: s.mode })
      .toEqual({ id: 'best', version: '1', orderSensitive: true, mode: 'select' });
    expect(bestFusion({ version: 'scorer-2' }).version).toBe('scorer-2');
  });

  it('emits the medoid answer’s text once and completes', () => {
    const answers = [
      answer('outlier', 'Bananas are rich in potassium'),
      answer('x', 'Paris is the capital of France'),
      answer('y', 'The capital of France is Paris'),
    ];
    expect(collect(bestFusion().fuse(answers, context))).toEqual({ values: ['Paris is the capital of France'], error: undefined, completed: true });
  });

  it('breaks ties by plan order', () => {
    const answers = [answer('a', 'one two'), answer('b', 'one two')];
    expect(collect(bestFusion({ scorer: () => 1 }).fuse(answers, context)).values).toEqual(['one two']);
    expect(collect(bestFusion({ scorer: (a) => (a.expertId === 'b' ? 2 : 1) }).fuse(answers, context)).values).toEqual(['one two']);
    const distinct = [answer('a', 'first'), answer('b', 'second')];
    expect(collect(bestFusion({ scorer: () => 0 }).fuse(distinct, context)).values).toEqual(['first']);
  });

  it('uses a custom scorer', () => {
    const answers = [answer('a', 'short'), answer('b', 'a much longer answer')];
    expect(collect(bestFusion({ scorer: (a) => a.text.length }).fuse(answers, context)).values).toEqual(['a much longer answer']);
  });

  it('returns a single answer', () => {
    expect(collect(bestFusion().fuse([answer('a', 'alone')], context)).values).toEqual(['alone']);
  });

  it('errors with a FusionError on no answers, without throwing synchronously', () => {
    const result = collect(bestFusion().fuse([], context));
    expect(result.values).toEqual([]);
    expect(FusionError.isInstance(result.error)).toBe(true);
    expect(result.error).toEqual(expect.objectContaining({ _tag: 'FusionError', strategyId: 'best' }));
  });

  it('errors with a FusionError when the scorer throws', () => {
    const boom = new Error('boom');
    const result = collect(bestFusion({ scorer: () => { throw boom; } }).fuse([answer('a', 'x')], context));
    expect(result.error).toEqual(expect.objectContaining({ _tag: 'FusionError', cause: boom }));
  });
});
