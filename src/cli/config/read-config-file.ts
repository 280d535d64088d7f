/** Reading a config file from disk: the one impure piece of the set-up, injected into `resolveSetup`. */
import * as E from 'fp-ts/Either';
import { readFileSync } from 'node:fs';

/** Why a file could not be read: `missing` (so a default file is simply skipped) or another reason. */
export type ReadFailure = { readonly _tag: 'missing' } | { readonly _tag: 'unreadable'; readonly reason: string };

/** Reads a UTF-8 text file. */
export type ReadFile = (path: string) => E.Either<ReadFailure, string>;

const code = (error: unknown): string | undefined => {
  const value = (error as { code?: unknown } | null)?.code;
  return typeof value === 'string' ? value : undefined;
};

/** {@link ReadFile} over `fs.readFileSync`; the failure reason is the error code, never a message. */
export const readConfigFile: ReadFile = (path) => {
  try {
    return E.right(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = code(error);
    if (why === 'ENOENT') return E.left({ _tag: 'missing' });
    return E.left({ _tag: 'unreadable', reason: why === 'EISDIR' ? 'it is a folder' : why === 'EACCES' ? 'permission denied' : why ?? 'read error' });
  }
};
