/** The rule for a caller's request id (DESIGN: 1-128 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit). */

/** The request id rule as a regular expression. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** True when `value` is a request id the pipeline accepts; lets a front end check an id before choosing its own. */
export const isRequestId = (value: unknown): value is string => typeof value === 'string' && REQUEST_ID_PATTERN.test(value);
