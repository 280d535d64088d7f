/**
 * `validate(deps)`: on the `request` hand-off, emits `start`, then checks the prompt and
 * options (every problem at once) and emits either the `validated` hand-off or an `error`
 * event with `user: true`, kind `validation` and every problem in `issues`. Other events pass
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

/** What validation needs. */
export type ValidateDeps = Pick<PipelineDeps, 'clock' | 'limits' | 'validator'>;

/** Validates the request on `request`. */
export const validate = ({ clock, limits, validator }: ValidateDeps): OperatorFunction<StageEvent, StageEvent> =>
  handle('request', ({ job }, emit) => {
    emit({ type: 'start', requestId: job.requestId, at: job.metrics.startedAt });
    const checked = timedSync('validation', { clock, record: job.metrics.stage }, () =>
      validateRequest(job.raw.prompt, job.raw.options, job.requestId, limits, validator));
    if (E.isLeft(checked)) {
      emit(userErrorEvent(job.requestId, 'validation', `Invalid request: ${checked.left.join('; ')}`, checked.left));
      return;
    }
    job.request = checked.right;
    emit(handoff('validated', job));
  });
