/**
 * Baseline experts: plain callbacks, cancelled with an AbortSignal. The counterparts of
 * `simulatedExpert` (zero delay: synchronous; a token delay: one timer re-armed per token)
 * and of the bench's microtask expert.
 */

/** What an expert is asked (the pipeline's ExpertTask without the attempt). */
export interface CallbackTask { readonly requestId: string; readonly prompt: string }

/** A token source: calls `onToken` per token, then `onEnd`; stops at once when `signal` aborts. */
export interface CallbackExpert {
  readonly id: string;
  stream(task: CallbackTask, onToken: (token: string) => void, onEnd: () => void, signal: AbortSignal): void;
}

/** Emits every token synchronously (like `simulatedExpert` with zero delays); checks the signal between tokens. */
export const syncExpert = (id: string, tokens: readonly string[]): CallbackExpert => ({
  id,
  stream(_task, onToken, onEnd, signal) {
    for (let i = 0; i < tokens.length; i++) {
      if (signal.aborted) return;
      onToken(tokens[i]!);
    }
    if (!signal.aborted) onEnd();
  },
});

/** One token per microtask: tokens of concurrent requests interleave. */
export const microtaskExpert = (id: string, tokens: readonly string[]): CallbackExpert => ({
  id,
  stream(_task, onToken, onEnd, signal) {
    let i = 0;
    const step = (): void => {
      if (signal.aborted) return;
      if (i < tokens.length) {
        onToken(tokens[i++]!);
        queueMicrotask(step);
      } else {
        onEnd();
      }
    };
    queueMicrotask(step);
  },
});

/**
 * One token every `delayMs` from a timer (first one after `delayMs` too), like
 * `simulatedExpert({ firstTokenDelayMs, tokenDelayMs })`. On abort it clears the timer at once
 * and then calls `onTeardown` (the bench's probe).
 */
export const timerExpert = (id: string, tokens: readonly string[], delayMs: number, onTeardown: (requestId: string) => void): CallbackExpert => ({
  id,
  stream(task, onToken, onEnd, signal) {
    let i = 0;
    const onAbort = (): void => {
      clearInterval(timer);
      onTeardown(task.requestId);
    };
    const timer = setInterval(() => {
      onToken(tokens[i++]!);
      if (i < tokens.length || signal.aborted) return;
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      onEnd();
    }, delayMs);
    signal.addEventListener('abort', onAbort, { once: true });
  },
});
