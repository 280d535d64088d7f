/**
 * The README's other blocks, checked as its TypeScript is: every `json` block parses, and a config
 * file (one with `experts`) decodes with the CLI's own config decoder; every `sh` line that runs
 * the CLI (`npm start --`, `npx dialogue-pipeline`) or the server (`npm run serve --`) passes
 * that program's own argument parser, and every `curl` names a route the server serves, with the
 * method it would send.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/Either';
import { parseCliArgs } from '../../src/cli/args';
import { decodeConfig } from '../../src/cli/config/decode-config';
import { parseServeArgs } from '../../src/cli/serve/serve-args';
import { dialogueRoutes } from '../../src/server/routes';
import { codeBlocks } from './code-blocks';

const README = readFileSync(join(resolve(__dirname, '../..'), 'README.md'), 'utf8');
const blocks = codeBlocks(README);

/** The shell words of one command line: quotes removed, `#` comments dropped, `$VAR` kept as text. */
export const shellWords = (line: string): string[] => {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
};

/** The commands of an `sh` block: continuation lines joined, `&&` splitting one line into several. */
const commands = (code: string): string[][] => code.replace(/\\\n\s*/g, ' ').split('\n')
  .flatMap((line) => line.split('&&')).map(shellWords).filter((words) => words.length > 0);

/** A command's words after its leading `VAR=value` assignments, and those assignments. */
const withoutEnv = (words: readonly string[]): { env: Record<string, string>; rest: string[] } => {
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!); i++) {
    const [name, ...value] = words[i]!.split('=');
    env[name!] = value.join('=');
  }
  return { env, rest: words.slice(i) };
};

const argsAfter = (rest: readonly string[], prefix: readonly string[]): string[] | undefined =>
  prefix.every((word, i) => rest[i] === word) ? rest.slice(prefix.length) : undefined;

/** True when the server has a route for `method` and `url`'s path. */
const served = (method: string, url: string): boolean => {
  const path = new URL(url).pathname.split('/');
  return dialogueRoutes.some((route) => {
    const pattern = route.path.split('/');
    return route.method === method && pattern.length === path.length && pattern.every((part, i) => part.startsWith(':') || part === path[i]);
  });
};

describe("the README's json and sh blocks", () => {
  const sh = blocks.filter((block) => block.lang === 'sh').flatMap((block) => commands(block.code).map((words) => ({ line: block.line, ...withoutEnv(words) })));

  it('splits commands as a shell would', () => {
    expect(shellWords(`curl -d '{"a": 1}' -H "x: y" # a comment`)).toEqual(['curl', '-d', '{"a": 1}', '-H', 'x: y']);
    expect(commands('A=1 npm start -- --chat \\\n  --system "Be brief."\nnpm ci && npm test')).toEqual([
      ['A=1', 'npm', 'start', '--', '--chat', '--system', 'Be brief.'], ['npm', 'ci'], ['npm', 'test'],
    ]);
  });

  it('has no block in a language no spec checks', () => {
    expect(blocks.filter((block) => !['ts', 'sh', 'json'].includes(block.lang)).map(({ line, lang }) => `README.md:${line} ${lang}`)).toEqual([]);
  });

  it('has json blocks that parse, and config files that the CLI accepts', () => {
    const json = blocks.filter((block) => block.lang === 'json');
    expect(json.length).toBeGreaterThanOrEqual(3);
    for (const block of json) {
      const value = JSON.parse(block.code) as Record<string, unknown>;
      if ('experts' in value) {
        const decoded = decodeConfig(value);
        if (E.isLeft(decoded)) throw new Error(`README.md:${block.line}: ${JSON.stringify(decoded.left)}`);
      }
    }
  });

  it('runs the CLI only with flags its parser takes', () => {
    const cli = sh.flatMap(({ line, rest }) => {
      const args = argsAfter(rest, ['npm', 'start', '--']) ?? argsAfter(rest, ['npx', 'dialogue-pipeline']);
      return args === undefined ? [] : [{ line, args }];
    });
    expect(cli.length).toBeGreaterThanOrEqual(4);
    for (const { line, args } of cli) expect({ line, args, parsed: parseCliArgs(args).kind }).toEqual({ line, args, parsed: expect.stringMatching(/^(run|help)$/) });
    expect(parseCliArgs(['--no-such-flag']).kind).toBe('usage-error');
  });

  it('runs the server only with flags and environment its parser takes', () => {
    const serve = sh.flatMap(({ line, env, rest }) => {
      const args = argsAfter(rest, ['npm', 'run', 'serve', '--']) ?? (argsAfter(rest, ['npm', 'run', 'serve'])?.length === 0 ? [] : undefined);
      return args === undefined ? [] : [{ line, env, args }];
    });
    expect(serve.length).toBeGreaterThanOrEqual(4);
    for (const { line, env, args } of serve) {
      expect({ line, args, parsed: parseServeArgs(args, env).kind }).toEqual({ line, args, parsed: expect.stringMatching(/^(run|help)$/) });
    }
  });

  it('curls only routes the server serves, with their methods', () => {
    const curls = sh.filter(({ rest }) => rest[0] === 'curl').map(({ line, rest }) => {
      const url = rest.find((word) => /^https?:\/\//.test(word))!;
      const explicit = rest.indexOf('-X');
      const method = explicit >= 0 ? rest[explicit + 1]! : rest.includes('-d') ? 'POST' : 'GET';
      return { line, method, url };
    });
    expect(curls.length).toBeGreaterThanOrEqual(4);
    for (const curl of curls) expect({ ...curl, served: served(curl.method, curl.url) }).toEqual({ ...curl, served: true });
    expect(served('GET', 'http://127.0.0.1:8787/api/dialogue')).toBe(false);
  });
});
