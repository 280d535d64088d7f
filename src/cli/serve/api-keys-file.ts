/**
 * The API keys file of `npm run serve` (`--api-keys-file`, `DIALOGUE_API_KEYS_FILE`): JSON, the
 * same shape as the server's `apiKeys` option, `{ "<key>": { "tenant": "<name>" }, ... }`
 * (several keys may share a tenant). The server checks the entries; this reads the file and
 * says when its permissions let other users read it. No message quotes the file's content.
 */
import * as E from 'fp-ts/Either';
import { readFileSync, statSync } from 'node:fs';

/** The file's JSON object, and a warning for loose permissions. */
export interface ApiKeysFile {
  readonly keys: Record<string, unknown>;
  readonly warning?: string;
}

/** What reading needs (the file system, for tests). */
export interface KeysFileSystem {
  readonly readFile: (path: string) => string;
  readonly mode: (path: string) => number;
}

const nodeFs: KeysFileSystem = { readFile: (path) => readFileSync(path, 'utf8'), mode: (path) => statSync(path).mode };

const code = (error: unknown): string => {
  const value = (error as { code?: unknown } | null)?.code;
  return typeof value === 'string' ? value : 'unreadable';
};

/** Reads `path`; Left: the problem, in one line. */
export const readApiKeysFile = (path: string, fs: KeysFileSystem = nodeFs): E.Either<string, ApiKeysFile> => {
  let text: string;
  let mode: number;
  try {
    text = fs.readFile(path);
    mode = fs.mode(path);
  } catch (error) {
    return E.left(`cannot read the API keys file ${path} (${code(error)})`);
  }
  let keys: unknown;
  try {
    keys = JSON.parse(text);
  } catch {
    return E.left(`the API keys file ${path} is not valid JSON`);
  }
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    return E.left(`the API keys file ${path} must hold a JSON object { "<key>": { "tenant": "<name>" } }`);
  }
  const loose = (mode & 0o077) !== 0;
  return E.right({ keys: keys as Record<string, unknown>, ...(loose ? { warning: `the API keys file ${path} can be read by other users; chmod 600 it` } : {}) });
};
