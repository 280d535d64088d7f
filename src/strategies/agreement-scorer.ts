/**
 * The default answer scorer: the answer that agrees most with the others (the medoid) wins.
 * Used by the `best` fusion and by the fallback when a fusion fails.
 */
import type { AnswerScorer, ExpertAnswer } from '../ports';

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

/** Word sets by answer object: each answer is tokenised once, not once per pair. */
const wordSets = new WeakMap<ExpertAnswer, ReadonlySet<string>>();

const wordsOf = (answer: ExpertAnswer): ReadonlySet<string> => {
  let words = wordSets.get(answer);
  if (words === undefined) {
    words = new Set(answer.text.toLowerCase().match(WORD) ?? []);
    wordSets.set(answer, words);
  }
  return words;
};

/** |a ∩ b| / |a ∪ b|; two empty sets are identical (1). */
const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const word of small) if (large.has(word)) shared += 1;
  return shared / (a.size + b.size - shared);
};

/**
 * Mean Jaccard similarity of the answer's lower-cased word set with every other answer's
 * (others = the entries of `all` that are not this object); an answer with no others scores 1.
 */
export const agreementScorer: AnswerScorer = (answer, all) => {
  if (all.length < 2) return 1; // no others: nothing to tokenise
  const own = wordsOf(answer);
  let sum = 0;
  let count = 0;
  for (const other of all) {
    if (other === answer) continue;
    sum += jaccard(own, wordsOf(other));
    count += 1;
  }
  return count === 0 ? 1 : sum / count;
};

/** Each answer's score, in the order given. */
export const scoreAnswers = (answers: readonly ExpertAnswer[], scorer: AnswerScorer = agreementScorer): number[] =>
  answers.map((answer) => scorer(answer, answers));

/**
 * The highest-scored answer; ties (and NaN scores, which count as lowest) go to the earlier
 * one in the array (plan order). Throws an Error on an empty list.
 */
export const pickBest = (answers: readonly ExpertAnswer[], scorer: AnswerScorer = agreementScorer): ExpertAnswer => {
  const first = answers[0];
  if (first === undefined) throw new Error('pickBest: no answers to choose from');
  if (answers.length === 1 && scorer === agreementScorer) return first;
  const scores = scoreAnswers(answers, scorer);
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  scores.forEach((score, index) => {
    if (score > bestScore) {
      best = index;
      bestScore = score;
    }
  });
  return answers[best] ?? first;
};
