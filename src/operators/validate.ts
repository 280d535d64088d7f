/**
 * `validate(deps, scheduler)`: on the `request` hand-off, emits `start`, then checks the input
 * and options (every problem at once) and emits the validation `timing` and either the
 * `validated` hand-off or an `error` event with `user: true`, kind `validation` and every
 * problem in `issues`. A prompt matching a prompt-injection heuristic is refused the same way
 * when `inputGuard.injection` is 'block', and listed on `validated.injection` (shown in the
 * plan's metadata) when it is 'flag'. Other events pass through.
 *
 *     source:  r|        valid:    (stv|)      s = start, t = timing, v = validated
 *                        invalid:  (ste|)      e = error (validation)
 */
import * as E from 'fp-ts/Either';
import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ChainEvent } from '../chain-events';
import type { Validator } from '../ports';
import { userErrorEvent } from '../strategies/error-events';
import { builtInInjectionHeuristics, detectConversationInjection, type InjectionHeuristic } from '../strategies/injection-heuristics';
import { validateRequest, type RequestLimits } from '../strategies/validate-request';
import { staged } from './staged';

/** What to do with prompts that match a prompt-injection heuristic. */
export interface InputGuard {
  readonly injection: 'flag' | 'block' | 'off';
  readonly heuristics?: readonly InjectionHeuristic[];
}

/** What validation needs. */
export interface ValidateDeps {
  readonly limits: RequestLimits;
  /** Extra checks, run after the built-in ones pass. */
  readonly validator?: Validator;
  /** Default: flag with the built-in heuristics. */
  readonly inputGuard?: InputGuard;
}

/** Validates the request on `request`; `scheduler.now()` times it. */
export const validate = ({ limits, validator, inputGuard }: ValidateDeps, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<ChainEvent, ChainEvent> =>
  staged(({ next }) => (event) => {
    if (event.type !== 'request') {
      next(event);
      return;
    }
    const { requestId } = event;
    next({ type: 'start', requestId, at: event.at });
    const startedAt = scheduler.now();
    const checked = validateRequest(event.input, event.options, requestId, limits, validator);
    const mode = inputGuard?.injection ?? 'flag';
    const injection = E.isRight(checked) && mode !== 'off'
      ? detectConversationInjection(checked.right.messages, inputGuard?.heuristics ?? builtInInjectionHeuristics)
      : [];
    next({ type: 'timing', requestId, stage: 'validation', at: startedAt, ms: scheduler.now() - startedAt });
    if (E.isLeft(checked)) {
      next(userErrorEvent(requestId, 'validation', `Invalid request: ${checked.left.join('; ')}`, checked.left));
      return;
    }
    if (injection.length > 0 && mode === 'block') {
      const issue = `prompt looks like a prompt-injection attempt (${injection.join(', ')})`;
      next(userErrorEvent(requestId, 'validation', `Invalid request: ${issue}`, [issue]));
      return;
    }
    next(injection.length > 0
      ? { type: 'validated', requestId, request: checked.right, injection }
      : { type: 'validated', requestId, request: checked.right });
  }, { ignoresTokens: true });
