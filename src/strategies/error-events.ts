/** Builds `error` events. System errors carry a generic message; the real error goes to `onSystemError`. */
import type { ErrorEvent, ErrorKind } from '../events';
import type { SystemErrorContext } from '../ports';

/** Kinds that are the system's fault (`user: false`). */
export type SystemErrorKind = Exclude<ErrorKind, 'validation' | 'duplicate-request'>;

const GENERIC_MESSAGES: Readonly<Record<SystemErrorKind, string>> = {
  system: 'The request could not be completed. Please try again later.',
  overloaded: 'The service is busy. Please try again shortly.',
  'no-experts': 'No experts are available for this request right now.',
};

/** An `error` event for the caller's own mistake: the message and issues are safe to show as they are. */
export const userErrorEvent = (
  requestId: string, kind: 'validation' | 'duplicate-request', message: string, issues?: readonly string[],
): ErrorEvent => ({
  type: 'error', requestId, error: issues === undefined ? { kind, message, user: true } : { kind, message, user: true, issues },
});

/** Reports `error` with its context and returns an `error` event with a generic message. */
export const systemErrorEvent = (
  kind: SystemErrorKind,
  error: unknown,
  context: SystemErrorContext,
  report: (error: unknown, context: SystemErrorContext) => void,
): ErrorEvent => {
  report(error, context);
  return { type: 'error', requestId: context.requestId, error: { kind, message: GENERIC_MESSAGES[kind], user: false } };
};
