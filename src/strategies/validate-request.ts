/**
 * Decodes the caller's prompt and options into a {@link DialogueRequest}, accumulating every
 * problem (fp-ts validation), not just the first.
 */
import { sequenceS } from 'fp-ts/Apply';
import * as A from 'fp-ts/Array';
import * as E from 'fp-ts/Either';
import * as NEA from 'fp-ts/NonEmptyArray';
import { pipe } from 'fp-ts/function';
import type { DialogueRequest, Validator } from '../ports';

type Checked<T> = E.Either<NEA.NonEmptyArray<string>, T>;

const validation = E.getApplicativeValidation(NEA.getSemigroup<string>());
const collect = sequenceS(validation);

/** C0 controls except tab (U+0009), line feed (U+000A) and carriage return (U+000D). */
const C0_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const KNOWN_OPTIONS = new Set(['requestId', 'signal', 'scope']);

/** Limits the built-in checks apply. */
export interface RequestLimits { readonly maxPromptChars: number; readonly maxScopeChars: number }

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Counts code points, not UTF-16 units; stops counting once past `limit`. */
const codePointsOver = (text: string, limit: number): boolean => {
  if (text.length <= limit) return false;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) i++;
    if (++count > limit) return true;
  }
  return false;
};

const fail = <T>(first: string, ...rest: string[]): Checked<T> => E.left([first, ...rest]);

const checkPrompt = (prompt: unknown, limits: RequestLimits): Checked<string> => {
  if (typeof prompt !== 'string') return fail(`prompt must be a string (got ${describe(prompt)})`);
  const problems: string[] = [];
  if (prompt.trim().length === 0) problems.push('prompt must not be empty or whitespace only');
  if (C0_CONTROL.test(prompt)) problems.push('prompt must not contain control characters other than tab, newline and carriage return');
  if (codePointsOver(prompt, limits.maxPromptChars)) problems.push(`prompt must be at most ${limits.maxPromptChars} characters (code points)`);
  return A.isNonEmpty(problems) ? E.left(problems) : E.right(prompt);
};

const checkRequestId = (value: unknown, fallback: string): Checked<string> => {
  if (value === undefined) return E.right(fallback);
  if (typeof value === 'string' && REQUEST_ID.test(value)) return E.right(value);
  return fail('requestId must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
};

const checkScope = (value: unknown, limits: RequestLimits): Checked<string | undefined> => {
  if (value === undefined) return E.right(undefined);
  if (typeof value !== 'string') return fail(`scope must be a string (got ${describe(value)})`);
  if (value.length === 0 || value.length > limits.maxScopeChars || C0_CONTROL.test(value) || value.includes('\u007f')) {
    return fail(`scope must be 1-${limits.maxScopeChars} characters with no control characters`);
  }
  return E.right(value);
};

const checkSignal = (value: unknown): Checked<AbortSignal | undefined> =>
  value === undefined || value instanceof AbortSignal ? E.right(value) : fail('signal must be an AbortSignal');

const checkOptionKeys = (options: Record<string, unknown>): Checked<true> => {
  const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.has(key));
  return A.isNonEmpty(unknown)
    ? E.left(NEA.map((key: string) => `unknown option "${key}" (known: requestId, signal, scope)`)(unknown))
    : E.right(true);
};

/** Validated request plus the caller's signal. */
export interface ValidRequest extends DialogueRequest { readonly signal?: AbortSignal }

/** Every problem with the request, or the request. `fallbackId` is used when no requestId was given. */
export const validateRequest = (
  prompt: unknown,
  options: unknown,
  fallbackId: string,
  limits: RequestLimits,
  validator?: Validator,
): E.Either<readonly string[], ValidRequest> => {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    const optionsProblem = `options must be an object (got ${describe(options)})`;
    return pipe(checkPrompt(prompt, limits), E.match((problems) => E.left([...problems, optionsProblem]), () => E.left([optionsProblem])));
  }
  const opts = (options ?? {}) as Record<string, unknown>;
  const checked = collect({
    prompt: checkPrompt(prompt, limits),
    requestId: checkRequestId(opts.requestId, fallbackId),
    scope: checkScope(opts.scope, limits),
    signal: checkSignal(opts.signal),
    keys: checkOptionKeys(opts),
  });
  return pipe(
    checked,
    E.map(({ prompt: text, requestId, scope, signal }): ValidRequest =>
      ({ prompt: text, requestId, ...(scope === undefined ? {} : { scope }), ...(signal === undefined ? {} : { signal }) })),
    E.chain((request) => {
      const extra = validator === undefined ? [] : validator(request);
      return extra.length === 0 ? E.right(request) : E.left(extra);
    }),
  );
};
