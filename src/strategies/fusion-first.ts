/** The `first` fusion: selects the answer of the expert that finished first. */
import { defer, of } from 'rxjs';
import { FusionError } from '../errors';
import type { ExpertAnswer, FusionStrategy } from '../ports';

const fastest = (answers: readonly ExpertAnswer[]): ExpertAnswer | undefined =>
  answers.reduce<ExpertAnswer | undefined>((best, answer) => (best === undefined || answer.ms < best.ms ? answer : best), undefined);

/**
 * Picks the answer with the smallest `ms` (the first expert to finish cleanly), ties broken by
 * plan order; emits its text once and completes. Mode 'select'. No answers: a FusionError.
 */
export const firstFusion = (): FusionStrategy => ({
  id: 'first',
  version: '1',
  orderSensitive: true,
  mode: 'select',
  fuse: (answers) =>
    defer(() => {
      const answer = fastest(answers);
      if (answer === undefined) throw new FusionError('first', 'first fusion: no answers to choose from');
      return of(answer.text);
    }),
});
