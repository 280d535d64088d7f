/**
 * `validate(deps)`: on the `request` hand-off, emits `start`, then checks the prompt and
 * options (every problem at once) and emits either the `validated` hand-off or an `error`
 * event with `user: true`, kind `validation` and every problem in `issues`. A prompt matching
 * a prompt-injection heuristic is refused the same way when `inputGuard.injection` is 'block',
 * and flagged on the job (shown in the plan's metadata) when it is 'flag'. Other events pass
 * through.
 *
 *     source:  r|        valid:    (sv|)      s = start, v = validated
 *                        invalid:  (se|)      e = error (validation)
 */
import * as E from 'fp-ts/Either';
import type { OperatorFunction } from 'rxjs';
import type { PipelineDeps } from '../pipeline/deps';
import { userErrorEvent } from '../pipeline/error-events';
import { handoff, type StageEvent } from '../pipeline/stage-events';
import { validateRequest } from '../pipeline/validate-request';
import { handle } from './handle';
import { timedSync } from './timed';
import { detectInjection } from '../strategies/injection-heuristics';

/** What validation needs. */
export type ValidateDeps = Pick<PipelineDeps, 'clock' | 'limits' | 'validator'> & Partial<Pick<PipelineDeps, 'inputGuard'>>;

/** Validates the request on `request`. */
export const validate = ({ clock, limits, validator, inputGuard }: ValidateDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('request', ({ job }, emit) => {
    emit({ type: 'start', requestId: job.requestId, at: job.metrics.startedAt });
    const checked = timedSync('validation', { clock, record: job.metrics.stage }, () =>
      validateRequest(job.raw.prompt, job.raw.options, job.requestId, limits, validator));
    if (E.isLeft(checked)) {
      emit(userErrorEvent(job.requestId, 'validation', `Invalid request: ${checked.left.join('; ')}`, checked.left));
      return;
    }
    const injection = inputGuard === undefined || inputGuard.injection === 'off' ? [] : detectInjection(checked.right.prompt, inputGuard.heuristics);
    if (injection.length > 0 && inputGuard?.injection === 'block') {
      const issue = `prompt looks like a prompt-injection attempt (${injection.join(', ')})`;
      emit(userErrorEvent(job.requestId, 'validation', `Invalid request: ${issue}`, [issue]));
      return;
    }
    if (injection.length > 0) job.injection = injection;
    job.request = checked.right;
    emit(handoff('validated', job));
  });
