/**
 * `redactedError(error, redact)`: the error as an alerting hook may see it, with every
 * secret-shaped part of its text replaced (`redact` is an output guard's `apply`). An upstream
 * may put anything in an error message, an API key included. The message, the stack, a `cause`
 * and an AggregateError's `errors` are redacted, to a bounded depth; the copy keeps the
 * original's prototype and own fields (`_tag`, `status`, ...), so `ExpertError.isInstance` and
 * `instanceof` still hold. An error with nothing to redact is returned as it is; a non-Error
 * value is redacted as text.
 */

const MAX_DEPTH = 4;

const redactValue = (value: unknown, redact: (text: string) => string, depth: number): unknown => {
  if (typeof value === 'string') return redact(value);
  if (!(value instanceof Error) || depth >= MAX_DEPTH) return value;
  const message = redact(value.message);
  const stack = value.stack === undefined ? undefined : redact(value.stack);
  const cause = 'cause' in value ? redactValue(value.cause, redact, depth + 1) : undefined;
  const errors = value instanceof AggregateError ? value.errors.map((inner: unknown) => redactValue(inner, redact, depth + 1)) : undefined;
  const unchanged = message === value.message && stack === value.stack && (!('cause' in value) || cause === value.cause)
    && (errors === undefined || errors.every((inner, i) => inner === (value as AggregateError).errors[i]));
  if (unchanged) return value;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(value) as object) as Error, value);
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(copy, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  if ('cause' in value) Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  if (errors !== undefined) Object.defineProperty(copy, 'errors', { value: errors, writable: true, configurable: true, enumerable: false });
  return copy;
};

/** `error` with the secret-shaped parts of its text redacted (see the file comment). */
export const redactedError = (error: unknown, redact: (text: string) => string): unknown => redactValue(error, redact, 0);
