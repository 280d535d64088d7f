/** The `best` fusion: selects the highest-scored expert answer. */
import { defer, of } from 'rxjs';
import { FusionError } from '../errors';
import type { AnswerScorer, FusionStrategy } from '../ports';
import { agreementScorer, pickBest } from './agreement-scorer';

/** Options for {@link bestFusion}. */
export interface BestFusionOptions {
  /** Scores each answer, higher is better. Default: {@link agreementScorer} (the medoid). */
  readonly scorer?: AnswerScorer;
  /**
   * The strategy version, part of the cache key (default '1'). Give a custom scorer its own
   * version (and change it whenever the scorer changes), or cached answers picked by another
   * scorer will be served.
   */
  readonly version?: string;
}

/**
 * Picks the answer with the highest score (default: the one agreeing most with the others),
 * ties broken by plan order; emits its text once and completes. Mode 'select': the answer's
 * tokens were already streamed. No answers, or a scorer that throws, errors with a FusionError.
 */
export const bestFusion = ({ scorer = agreementScorer, version = '1' }: BestFusionOptions = {}): FusionStrategy => ({
  id: 'best',
  version,
  orderSensitive: true,
  mode: 'select',
  fuse: (answers) =>
    defer(() => {
      if (answers.length === 0) throw new FusionError('best', 'best fusion: no answers to choose from');
      try {
        return of(pickBest(answers, scorer).text);
      } catch (cause) {
        throw new FusionError('best', 'best fusion: the scorer failed', { cause });
      }
    }),
});
