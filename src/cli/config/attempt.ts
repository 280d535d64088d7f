/** Calling the library's factories, which throw a TypeError on bad options, from a decoder. */
import * as E from 'fp-ts/Either';
import { fail, type Decoded } from './decoders';

/**
 * Right(what `make` returns), or its error's message under `path` (the factory's name prefix,
 * e.g. `openAICompatibleExpert: `, dropped). The library's option messages quote no values.
 */
export const attempt = <T>(path: string, make: () => T): Decoded<T> => {
  try {
    return E.right(make());
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^\w+: /, '') : 'invalid options';
    return fail(`${path}: ${message}`);
  }
};
