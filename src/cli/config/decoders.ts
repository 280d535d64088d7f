/**
 * Small fp-ts decoders for the config file: each one turns an `unknown` JSON value at a path
 * (`experts[1].baseURL`) into `Right(value)` or `Left(problems)`, every problem prefixed with
 * its path. Combinators accumulate: a struct reports every bad field and every unknown key.
 * Messages never quote a value from the file (it may hold a secret), only paths and key names.
 */
import { sequenceT } from 'fp-ts/Apply';
import * as A from 'fp-ts/Array';
import * as E from 'fp-ts/Either';
import * as NEA from 'fp-ts/NonEmptyArray';
import { pipe } from 'fp-ts/function';

/** Every problem found, at least one. */
export type Problems = NEA.NonEmptyArray<string>;

/** A decoded value or every problem with it. */
export type Decoded<T> = E.Either<Problems, T>;

/** Decodes the value found at `path`. */
export type Decoder<T> = (value: unknown, path: string) => Decoded<T>;

/** What a decoder produces. */
export type TypeOf<D> = D extends Decoder<infer T> ? T : never;

/** The applicative that accumulates problems instead of stopping at the first. */
export const validation = E.getApplicativeValidation(NEA.getSemigroup<string>());

/** One problem. */
export const fail = <T = never>(problem: string): Decoded<T> => E.left([problem]);

/** The path as a message subject: `the config` for the root. */
export const at = (path: string): string => (path === '' ? 'the config' : path);

/** A key name fit for a message: printable ASCII, at most 40 characters. */
const printable = (key: string): string => key.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);

/** `path.key`, or `path["odd key"]` when the key is not a short identifier (see {@link printable}). */
export const child = (path: string, key: string): string =>
  /^[A-Za-z_$][\w$]{0,39}$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(printable(key))}]`;

/** A JSON object (not an array, not null). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Problems of several independent checks, or `value` when there are none. */
export const collect = <T>(value: T, checks: readonly Decoded<unknown>[]): Decoded<T> => pipe(
  A.sequence(validation)([...checks]),
  E.map(() => value),
);

/** A string that is not blank. */
export const nonEmptyString: Decoder<string> = (value, path) =>
  typeof value === 'string' && value.trim() !== '' ? E.right(value) : fail(`${at(path)} must be a non-empty string`);

/** A finite number >= `min`, whole when `integer`. */
export const number = ({ min = 0, integer = false } = {}): Decoder<number> => (value, path) =>
  typeof value === 'number' && Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value))
    ? E.right(value)
    : fail(`${at(path)} must be a ${integer ? 'whole ' : ''}number >= ${min}`);

/** One of the given strings. */
export const oneOf = <T extends string>(choices: readonly T[]): Decoder<T> => (value, path) =>
  typeof value === 'string' && (choices as readonly string[]).includes(value)
    ? E.right(value as T)
    : fail(`${at(path)} must be ${choices.map((c) => `"${c}"`).join(' or ')}`);

/** A non-empty array, each item decoded at `path[i]`. */
export const nonEmptyArray = <T>(item: Decoder<T>): Decoder<readonly T[]> => (value, path) => {
  if (!Array.isArray(value) || value.length === 0) return fail(`${at(path)} must be a non-empty array`);
  return A.sequence(validation)(value.map((v, i) => item(v, `${path}[${i}]`)));
};

/** Checks an object key (its path given for messages). */
export type KeyCheck = (key: string, path: string) => Decoded<unknown>;

/** An object whose every value is decoded by `item` and every key passes `key` (keys kept in order). */
export const record = <T>(item: Decoder<T>, key: KeyCheck = E.right): Decoder<Readonly<Record<string, T>>> => (value, path) => {
  if (!isObject(value)) return fail(`${at(path)} must be an object`);
  const entries = Object.entries(value).map(([name, v]) => pipe(
    sequenceT(validation)(key(name, child(path, name)), item(v, child(path, name))),
    E.map(([, t]) => [name, t] as const),
  ));
  return pipe(A.sequence(validation)(entries), E.map((pairs) => Object.fromEntries(pairs)));
};

type Fields = Readonly<Record<string, Decoder<unknown>>>;

/** The decoded shape of a struct: `required` fields always there, `optional` ones maybe. */
export type StructOf<R extends Fields, O extends Fields> =
  { readonly [K in keyof R]: TypeOf<R[K]> } & { readonly [K in keyof O]?: TypeOf<O[K]> };

/**
 * An object with the `required` and `optional` fields: a missing required field, a bad field
 * and an unknown key are each a problem, all reported together. `hints` give a reason for
 * keys that are refused on purpose (`apiKey`: keys do not belong in the file).
 */
export const struct = <R extends Fields, O extends Fields>(required: R, optional: O, hints: Readonly<Record<string, string>> = {}): Decoder<StructOf<R, O>> =>
  (value, path) => {
    if (!isObject(value)) return fail(`${at(path)} must be an object`);
    const decoders: Fields = { ...required, ...optional };
    const known = Object.keys(decoders);
    // In the file's order, then the missing required fields.
    const present = Object.keys(value).filter((key) => value[key] !== undefined).map((key): Decoded<readonly [string, unknown]> => {
      if (Object.hasOwn(decoders, key)) return pipe(decoders[key](value[key], child(path, key)), E.map((v) => [key, v] as const));
      return fail(`${child(path, key)} ${Object.hasOwn(hints, key) ? hints[key] : `is not a known key (known: ${known.join(', ')})`}`);
    });
    const missing = Object.keys(required).filter((key) => value[key] === undefined).map((key) => fail(`${child(path, key)} is required`));
    return pipe(
      A.sequence(validation)([...present, ...missing]),
      E.map((pairs) => Object.fromEntries(pairs) as StructOf<R, O>),
    );
  };

/** Picks the decoder by the string in `tag` (`provider`, `type`); the others' problems are not reported. */
export const tagged = <T>(tag: string, cases: Readonly<Record<string, Decoder<T>>>): Decoder<T> => (value, path) => {
  if (!isObject(value)) return fail(`${at(path)} must be an object`);
  const choices = Object.keys(cases).map((c) => `"${c}"`).join(' or ');
  const which = value[tag];
  if (which === undefined) return fail(`${child(path, tag)} is required (${choices})`);
  return typeof which === 'string' && Object.hasOwn(cases, which) ? cases[which](value, path) : fail(`${child(path, tag)} must be ${choices}`);
};
