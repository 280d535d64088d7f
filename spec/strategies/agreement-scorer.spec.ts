import type { AnswerScorer, ExpertAnswer } from '../../src/ports';
import { agreementScorer, pickBest, scoreAnswers } from '../../src/strategies/agreement-scorer';

const answer = (expertId: string, text: string, ms = 10): ExpertAnswer => ({ expertId, text, ms, tokens: text.split(' ').length });

describe('agreementScorer', () => {
  it('scores the mean Jaccard similarity of lower-cased word sets with every other answer', () => {
    const a = answer('a', 'The cat sat');        // {the, cat, sat}
    const b = answer('b', 'the CAT ran');        // {the, cat, ran}
    const c = answer('c', 'dogs bark loudly');   // disjoint from both
    const all = [a, b, c];
    // a~b: 2 shared / 4 in the union = 0.5; a~c: 0
    expect(agreementScorer(a, all)).toBeCloseTo((0.5 + 0) / 2, 12);
    expect(agreementScorer(b, all)).toBeCloseTo(0.25, 12);
    expect(agreementScorer(c, all)).toBe(0);
  });

  it('ignores punctuation and repeated words', () => {
    const a = answer('a', 'Hello, world! Hello.');
    const b = answer('b', 'hello world');
    expect(agreementScorer(a, [a, b])).toBe(1);
  });

  it('gives a single answer a score of 1', () => {
    const only = answer('a', 'anything at all');
    expect(agreementScorer(only, [only])).toBe(1);
  });

  it('treats two empty answers as identical and an empty one as disjoint from a non-empty one', () => {
    const e1 = answer('a', '');
    const e2 = answer('b', '  ...  ');
    const full = answer('c', 'words here');
    expect(agreementScorer(e1, [e1, e2])).toBe(1);
    expect(agreementScorer(e1, [e1, full])).toBe(0);
  });

  it('tokenises each answer once, not once per pair', () => {
    const reads = new Map<string, number>();
    const counted = (expertId: string, text: string): ExpertAnswer => {
      const base = answer(expertId, text);
      return Object.defineProperty({ ...base }, 'text', {
        get: () => { reads.set(expertId, (reads.get(expertId) ?? 0) + 1); return text; },
      });
    };
    const all = [counted('a', 'x y z'), counted('b', 'x y'), counted('c', 'y z'), counted('d', 'q')];
    scoreAnswers(all, agreementScorer);
    expect([...reads.values()]).toEqual([1, 1, 1, 1]);
  });
});

describe('scoreAnswers', () => {
  it('gives the agreement scorer\'s own scores when scoring with it, the same object twice included', () => {
    const a = answer('a', 'The cat sat on the mat');
    const b = answer('b', 'a cat sat on a hat');
    const c = answer('c', 'dogs bark');
    for (const all of [[a, b, c], [a, b, a, c], [a], [a, a]]) {
      expect(scoreAnswers(all)).toEqual(all.map((one) => agreementScorer(one, all)));
    }
    expect(scoreAnswers([a, a])).toEqual([1, 1]); // no other object: nothing to disagree with
  });

  it('returns each answer’s score in array order, passing every answer as `all`', () => {
    const all = [answer('a', 'x', 30), answer('b', 'y', 10)];
    const seen: (readonly ExpertAnswer[])[] = [];
    const byMs: AnswerScorer = (a, everyone) => { seen.push(everyone); return a.ms; };
    expect(scoreAnswers(all, byMs)).toEqual([30, 10]);
    expect(seen).toEqual([all, all]);
  });
});

describe('pickBest', () => {
  it('picks the medoid over an outlier', () => {
    const outlier = answer('outlier', 'Bananas are an excellent source of potassium and fibre');
    const x = answer('x', 'Paris is the capital of France');
    const y = answer('y', 'The capital of France is Paris, a large city');
    const z = answer('z', 'France has Paris as its capital');
    expect(pickBest([outlier, x, y, z], agreementScorer)).toBe(x);
  });

  it('breaks ties by plan order (array order)', () => {
    const first = answer('first', 'same words');
    const second = answer('second', 'same words');
    expect(pickBest([first, second], agreementScorer)).toBe(first);
    expect(pickBest([second, first], agreementScorer)).toBe(second);
  });

  it('uses the given scorer and keeps the first of equal highest scores', () => {
    const all = [answer('a', 'x', 5), answer('b', 'y', 9), answer('c', 'z', 9)];
    expect(pickBest(all, (a) => a.ms).expertId).toBe('b');
  });

  it('counts NaN scores as lowest', () => {
    const all = [answer('a', 'x', 5), answer('b', 'y', 1)];
    expect(pickBest(all, (a) => (a.expertId === 'a' ? Number.NaN : 0)).expertId).toBe('b');
  });

  it('returns the only answer', () => {
    const only = answer('only', 'hi');
    expect(pickBest([only], agreementScorer)).toBe(only);
  });

  it('throws a clear error on an empty list', () => {
    expect(() => pickBest([], agreementScorer)).toThrow(/no answers/);
  });
});
