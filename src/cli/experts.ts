/** The CLI's three built-in simulated experts, of clearly different speeds. */
import type { SchedulerLike } from 'rxjs';
import { simulatedExpert, type SimulatedExpert } from '../index';

/** One built-in expert: its id and how fast it streams (real milliseconds on `asyncScheduler`). */
export interface ExpertSpeed {
  readonly id: string;
  readonly firstTokenDelayMs: number;
  readonly tokenDelayMs: number;
}

/** swift, steady and deep: about 0.6 s, 1.2 s and 2.2 s for a three-sentence answer. */
export const BUILT_IN_SPEEDS: readonly ExpertSpeed[] = [
  { id: 'swift', firstTokenDelayMs: 120, tokenDelayMs: 25 },
  { id: 'steady', firstTokenDelayMs: 300, tokenDelayMs: 45 },
  { id: 'deep', firstTokenDelayMs: 700, tokenDelayMs: 70 },
];

/** Options of {@link builtInExperts}; tests pass zero delays. */
export interface BuiltInExpertOptions {
  readonly speeds?: readonly ExpertSpeed[];
  readonly scheduler?: SchedulerLike;
}

/**
 * One simulated expert per speed, each with the library's deterministic default answer, which
 * is built from the prompt and the expert id (so each expert says something different).
 */
export const builtInExperts = ({ speeds = BUILT_IN_SPEEDS, scheduler }: BuiltInExpertOptions = {}): SimulatedExpert[] =>
  speeds.map(({ id, firstTokenDelayMs, tokenDelayMs }) =>
    simulatedExpert({ id, model: `simulated-${id}`, version: '1', firstTokenDelayMs, tokenDelayMs, scheduler }));
