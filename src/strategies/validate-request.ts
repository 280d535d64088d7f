/**
 * Decodes the caller's input (a prompt or a conversation) and options into a
 * {@link DialogueRequest}, accumulating every problem (fp-ts validation), not just the first.
 */
import { sequenceS } from 'fp-ts/Apply';
import * as A from 'fp-ts/Array';
import * as E from 'fp-ts/Either';
import * as NEA from 'fp-ts/NonEmptyArray';
import { pipe } from 'fp-ts/function';
import type { DialogueRequest, Validator } from '../ports';
import { checkInput, C0_CONTROL, kindOf, type Checked, type InputLimits } from './validate-input';
import { checkParams } from './validate-params';
import { isRequestId } from './request-id';

const validation = E.getApplicativeValidation(NEA.getSemigroup<string>());
const collectAll = sequenceS(validation);

/** The values of a record of checks, once they all passed. */
type Collected<R> = { [K in keyof R]: R[K] extends Checked<infer A> ? A : never };

/**
 * `sequenceS` over the validation applicative (every problem, in key order), with a fast path:
 * when every check passed (nearly every request), the values directly, without the Apply
 * machinery's closures per field.
 */
const collect = <R extends Record<string, Checked<unknown>>>(checks: R): Checked<Collected<R>> => {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(checks)) {
    const check = checks[key]!;
    if (E.isLeft(check)) return collectAll(checks as never) as Checked<Collected<R>>;
    values[key] = check.right;
  }
  return E.right(values as Collected<R>);
};

const KNOWN_OPTIONS = ['requestId', 'signal', 'scope', 'params', 'tenant', 'traceContext'];

/** Limits the built-in checks apply. */
export interface RequestLimits extends InputLimits { readonly maxScopeChars: number }

const fail = <T>(first: string, ...rest: string[]): Checked<T> => E.left([first, ...rest]);

const checkRequestId = (value: unknown, fallback: string): Checked<string> => {
  if (value === undefined) return E.right(fallback);
  if (isRequestId(value)) return E.right(value);
  return fail('requestId must be 1-128 characters of letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
};

const checkScope = (value: unknown, limits: RequestLimits): Checked<string | undefined> => {
  if (value === undefined) return E.right(undefined);
  if (typeof value !== 'string') return fail(`scope must be a string (got ${kindOf(value)})`);
  if (value.length === 0 || value.length > limits.maxScopeChars || C0_CONTROL.test(value) || value.includes('\u007f')) {
    return fail(`scope must be 1-${limits.maxScopeChars} characters with no control characters`);
  }
  return E.right(value);
};

const checkSignal = (value: unknown): Checked<AbortSignal | undefined> =>
  value === undefined || value instanceof AbortSignal ? E.right(value) : fail('signal must be an AbortSignal');

const checkTenant = (value: unknown, limits: RequestLimits): Checked<string | undefined> =>
  (value === undefined || (typeof value === 'string' && value.length > 0 && value.length <= limits.maxScopeChars && !C0_CONTROL.test(value))
    ? E.right(value) : fail(`tenant must be a string of 1-${limits.maxScopeChars} characters with no control characters`));

const checkTraceContext = (value: unknown): Checked<true> =>
  (value === undefined || (typeof value === 'object' && value !== null && typeof (value as { getValue?: unknown }).getValue === 'function')
    ? E.right(true) : fail('traceContext must be an OpenTelemetry Context'));

const checkOptionKeys = (options: Record<string, unknown>): Checked<true> => {
  const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.includes(key));
  return A.isNonEmpty(unknown)
    ? E.left(NEA.map((key: string) => `unknown option "${key.slice(0, 40)}" (known: ${KNOWN_OPTIONS.join(', ')})`)(unknown))
    : E.right(true);
};

/** Validated request plus the caller's signal. */
export interface ValidRequest extends DialogueRequest { readonly signal?: AbortSignal }

/** Every problem with the request, or the request. `fallbackId` is used when no requestId was given. */
export const validateRequest = (
  input: unknown,
  options: unknown,
  fallbackId: string,
  limits: RequestLimits,
  validator?: Validator,
): E.Either<readonly string[], ValidRequest> => {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    const optionsProblem = `options must be an object (got ${kindOf(options)})`;
    return pipe(checkInput(input, limits), E.match((problems) => E.left([...problems, optionsProblem]), () => E.left([optionsProblem])));
  }
  const opts = (options ?? {}) as Record<string, unknown>;
  const checked = collect({
    input: checkInput(input, limits),
    requestId: checkRequestId(opts.requestId, fallbackId),
    scope: checkScope(opts.scope, limits),
    signal: checkSignal(opts.signal),
    params: checkParams(opts.params),
    tenant: checkTenant(opts.tenant, limits),
    traceContext: checkTraceContext(opts.traceContext),
    keys: checkOptionKeys(opts),
  });
  return pipe(
    checked,
    E.map(({ input: { prompt, messages }, requestId, scope, signal, params }): ValidRequest => ({
      prompt, messages, requestId,
      ...(params === undefined ? {} : { params }), ...(scope === undefined ? {} : { scope }), ...(signal === undefined ? {} : { signal }),
    })),
    E.chain((request) => {
      const extra = validator === undefined ? [] : validator(request);
      return extra.length === 0 ? E.right(request) : E.left(extra);
    }),
  );
};
