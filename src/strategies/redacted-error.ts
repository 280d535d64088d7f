/**
 * `redactedError(error, redact)`: the error as an alerting hook may see it, with every
 * secret-shaped part of its text replaced (`redact` is an output guard's `apply`). An upstream
 * may put anything in an error, an API key included, and alerting SDKs serialize an error's own
 * fields too (an HTTP client's error carries `headers`, `body`, `config`). So the message, the
 * stack, the `cause` (an Error or not), an AggregateError's `errors` and every own enumerable
 * field are redacted: strings through `redact`, arrays and plain objects field by field, other
 * objects (`Headers`, a `Response`, class instances) replaced by `[<Class>]`, anything deeper than
 * `MAX_DEPTH` by `[too deep]`. The copy keeps the original's prototype and its other fields
 * (`_tag`, `status`, ...), so `ExpertError.isInstance` and `instanceof` still hold. An error with
 * nothing to redact is returned as it is; a non-Error value is redacted as data.
 */

const MAX_DEPTH = 4;

type Redact = (text: string) => string;

const isPlain = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

/** `value` with its strings redacted; the same value when nothing changed. */
const redactData = (value: unknown, redact: Redact, depth: number): unknown => {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) return redactErrorValue(value, redact, depth);
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => redactData(item, redact, depth + 1));
    return items.every((item, i) => item === value[i]) ? value : items;
  }
  if (!isPlain(value)) return `[${value.constructor?.name ?? 'object'}]`;
  const entries = Object.entries(value).map(([key, field]) => [key, redactData(field, redact, depth + 1)] as const);
  return entries.every(([key, field]) => field === (value as Record<string, unknown>)[key]) ? value : Object.fromEntries(entries);
};

const OWN_TEXT = new Set(['message', 'stack', 'cause', 'errors']);

const redactErrorValue = (error: Error, redact: Redact, depth: number): Error => {
  const message = redact(error.message);
  const stack = error.stack === undefined ? undefined : redact(error.stack);
  const hasCause = 'cause' in error;
  const cause = hasCause ? redactData(error.cause, redact, depth + 1) : undefined;
  const errors = error instanceof AggregateError ? error.errors.map((inner: unknown) => redactData(inner, redact, depth + 1)) : undefined;
  const fields = Object.entries(error).filter(([key]) => !OWN_TEXT.has(key))
    .map(([key, field]) => [key, field, redactData(field, redact, depth + 1)] as const);
  const unchanged = message === error.message && stack === error.stack && (!hasCause || cause === error.cause)
    && (errors === undefined || errors.every((inner, i) => inner === (error as AggregateError).errors[i]))
    && fields.every(([, field, redacted]) => redacted === field);
  if (unchanged) return error;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, error);
  for (const [key, , redacted] of fields) (copy as unknown as Record<string, unknown>)[key] = redacted;
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(copy, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  if (hasCause) Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  if (errors !== undefined) Object.defineProperty(copy, 'errors', { value: errors, writable: true, configurable: true, enumerable: false });
  return copy;
};

/** `error` with the secret-shaped parts of its text and fields redacted (see the file comment). */
export const redactedError = (error: unknown, redact: Redact): unknown => redactData(error, redact, 0);
