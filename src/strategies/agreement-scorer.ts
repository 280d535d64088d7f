/**
 * The default answer scorer: the answer that agrees most with the others (the medoid) wins.
 * Used by the `best` fusion and by the fallback when a fusion fails.
 */
import type { AnswerScorer, ExpertAnswer } from '../ports';
import { sharedCount, wordKeys } from './word-keys';

/** |a ∩ b| / |a ∪ b| of two word-key arrays; two empty ones are identical (1). */
const jaccard = (a: Int32Array, b: Int32Array): number => {
  if (a.length === 0 && b.length === 0) return 1;
  const shared = sharedCount(a, b);
  return shared / (a.length + b.length - shared);
};

/**
 * Mean Jaccard similarity of the answer's lower-cased word set with every other answer's
 * (others = the entries of `all` that are not this object); an answer with no others scores 1.
 * Scoring every answer of a list goes through {@link scoreAnswers}, which tokenises each
 * answer once and compares each pair once.
 */
export const agreementScorer: AnswerScorer = (answer, all) => {
  if (all.length < 2) return 1; // no others: nothing to tokenise
  const own = wordKeys(answer.text);
  let sum = 0;
  let count = 0;
  for (const other of all) {
    if (other === answer) continue;
    sum += jaccard(own, wordKeys(other.text));
    count += 1;
  }
  return count === 0 ? 1 : sum / count;
};

/** `agreementScorer` for every answer: each tokenised once, each pair compared once. */
const agreementScores = (answers: readonly ExpertAnswer[]): number[] => {
  const { length } = answers;
  if (length < 2) return answers.map(() => 1);
  const keys = answers.map((answer) => wordKeys(answer.text));
  const sums = new Array<number>(length).fill(0);
  const counts = new Array<number>(length).fill(0);
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j < length; j++) {
      if (answers[i] === answers[j]) continue; // the same object is not an "other"
      const similarity = jaccard(keys[i]!, keys[j]!);
      sums[i]! += similarity;
      sums[j]! += similarity;
      counts[i]! += 1;
      counts[j]! += 1;
    }
  }
  return sums.map((sum, i) => (counts[i] === 0 ? 1 : sum / counts[i]!));
};

/** Each answer's score, in the order given. */
export const scoreAnswers = (answers: readonly ExpertAnswer[], scorer: AnswerScorer = agreementScorer): number[] =>
  (scorer === agreementScorer ? agreementScores(answers) : answers.map((answer) => scorer(answer, answers)));

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
