import * as E from 'fp-ts/Either';
import type { ReadFile } from '../../src/cli/config/read-config-file';
import { DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL } from '../../src/cli/env-expert';
import { DEFAULT_CONFIG_FILE, renderSetupFailure, resolveSetup, SIMULATED_NOTICE, type Setup, type SetupFailure } from '../../src/cli/setup';

const SECRET = 'sk-proj-TOPSECRET0123456789';
const cwd = '/home/me/project';
const DEFAULT_PATH = `${cwd}/${DEFAULT_CONFIG_FILE}`;

/** A file system holding `files` (absolute path -> text); `null` marks an unreadable file. */
const files = (entries: Record<string, string | null> = {}): ReadFile => (path) => {
  if (!Object.hasOwn(entries, path)) return E.left({ _tag: 'missing' });
  const text = entries[path];
  return text === null ? E.left({ _tag: 'unreadable', reason: 'permission denied' }) : E.right(text);
};

const simConfig = JSON.stringify({ experts: [{ provider: 'simulated', id: 'from-file' }] });

const setup = (input: { config?: string; env?: Record<string, string>; fs?: ReadFile }): Setup => {
  const result = resolveSetup({ args: { config: input.config }, env: input.env ?? {}, cwd, readFile: input.fs ?? files() });
  if (E.isLeft(result)) throw new Error(`expected a set-up, got: ${renderSetupFailure(result.left)}`);
  return result.right;
};

const failure = (input: { config?: string; env?: Record<string, string>; fs?: ReadFile }): SetupFailure => {
  const result = resolveSetup({ args: { config: input.config }, env: input.env ?? {}, cwd, readFile: input.fs ?? files() });
  if (E.isRight(result)) throw new Error(`expected a failure, got the ${result.right.source._tag} set-up`);
  return result.left;
};

const ids = (s: Setup): string[] => s.experts.map((expert) => expert.id);

describe('resolveSetup', () => {
  it('uses ./dialogue.config.json from the working folder first, even with OPENAI_* set', () => {
    const chosen = setup({ fs: files({ [DEFAULT_PATH]: simConfig }), env: { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: 'http://localhost:1/v1' } });
    expect(chosen.source).toEqual({ _tag: 'config', path: DEFAULT_PATH });
    expect(ids(chosen)).toEqual(['from-file']);
    expect(chosen.notice).toBeUndefined();
  });

  it('reads --config relative to the working folder, or as an absolute path', () => {
    expect(setup({ config: 'conf/my.json', fs: files({ [`${cwd}/conf/my.json`]: simConfig }) }).source).toEqual({ _tag: 'config', path: `${cwd}/conf/my.json` });
    expect(ids(setup({ config: '/etc/d.json', fs: files({ '/etc/d.json': simConfig, [DEFAULT_PATH]: '{}' }) }))).toEqual(['from-file']);
  });

  it('without a config file, builds one expert from OPENAI_API_KEY with the OpenAI defaults', () => {
    const chosen = setup({ env: { OPENAI_API_KEY: SECRET } });
    expect(chosen.source).toEqual({ _tag: 'env' });
    expect(chosen.experts.map(({ id, model }) => ({ id, model }))).toEqual([{ id: DEFAULT_OPENAI_MODEL, model: DEFAULT_OPENAI_MODEL }]);
    expect(chosen.notice).toBeUndefined();
    expect(DEFAULT_OPENAI_BASE_URL).toBe('https://api.openai.com/v1');
    expect(DEFAULT_OPENAI_MODEL).toBe('gpt-4o-mini');
  });

  it('without a config file, builds one keyless expert from OPENAI_BASE_URL and OPENAI_MODEL (Ollama)', () => {
    const chosen = setup({ env: { OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_MODEL: 'llama3.1' } });
    expect(chosen.source).toEqual({ _tag: 'env' });
    expect(ids(chosen)).toEqual(['llama3.1']);
  });

  it('falls back to the three simulated experts, with a one-line notice saying why', () => {
    const chosen = setup({ env: { OPENAI_BASE_URL: ' ', OPENAI_API_KEY: '', OPENAI_MODEL: 'ignored', HOME: '/home/me' } });
    expect(chosen.source).toEqual({ _tag: 'simulated' });
    expect(ids(chosen)).toEqual(['swift', 'steady', 'deep']);
    expect(chosen.notice).toBe('Using the built-in simulated experts (no dialogue.config.json, no OPENAI_BASE_URL/OPENAI_API_KEY).');
    expect(SIMULATED_NOTICE).not.toContain('\n');
  });

  it('fails when the file named by --config does not exist, rather than falling back', () => {
    expect(failure({ config: 'nope.json', env: { OPENAI_API_KEY: SECRET } })).toEqual({ title: `Cannot read config file ${cwd}/nope.json:`, problems: ['no such file'] });
  });

  it('fails when a config file exists but cannot be read', () => {
    expect(failure({ fs: files({ [DEFAULT_PATH]: null }) })).toEqual({ title: `Cannot read config file ${DEFAULT_PATH}:`, problems: ['permission denied'] });
  });

  it('reports every problem of an invalid config file, never the key', () => {
    const text = JSON.stringify({
      experts: [{ provider: 'openai-compatible', baseURL: 'localhost:11434', model: 'm', apiKey: SECRET }],
      cache: 'yes',
    });
    const found = failure({ fs: files({ [DEFAULT_PATH]: text }), env: { OPENAI_API_KEY: SECRET } });
    expect(found).toEqual({
      title: `Invalid config file ${DEFAULT_PATH}:`,
      problems: [
        'experts[0].baseURL must be an http(s) URL',
        'experts[0].apiKey is not allowed: name the environment variable that holds the key in apiKeyEnv; the key itself never goes in the file',
        'cache must be { "type": "sqlite", "path"?: "<file>" }, { "type": "memory" } or false',
      ],
    });
    expect(renderSetupFailure(found)).not.toContain('TOPSECRET');
  });

  it('reports a key variable the config names but the environment lacks', () => {
    const text = JSON.stringify({ experts: [{ provider: 'openai-compatible', baseURL: 'https://api.groq.com/openai/v1', model: 'llama-3.1-8b-instant', apiKeyEnv: 'GROQ_API_KEY' }] });
    expect(failure({ fs: files({ [DEFAULT_PATH]: text }) }).problems).toEqual(['experts[0].apiKeyEnv names GROQ_API_KEY, which is not set in the environment']);
  });

  it('reports invalid OPENAI_* variables together, never quoting them', () => {
    const found = failure({ env: { OPENAI_BASE_URL: `ftp://${SECRET}`, OPENAI_API_KEY: `${SECRET} x` } });
    expect(found).toEqual({
      title: 'Invalid environment:',
      problems: ['OPENAI_BASE_URL must be an http(s) URL', 'OPENAI_API_KEY is not a usable API key (printable ASCII, no spaces)'],
    });
    expect(renderSetupFailure(found)).not.toContain('TOPSECRET');
    expect(failure({ env: { OPENAI_BASE_URL: `https://me:${SECRET}@example.com/v1` } }).problems[0]).toMatch(/^OPENAI_BASE_URL must not contain a user name or password/);
  });
});

describe('renderSetupFailure', () => {
  it('prints the heading, then one indented line per problem', () => {
    expect(renderSetupFailure({ title: 'Invalid config file /x.json:', problems: ['a is required', 'b must be a string'] }))
      .toBe('Invalid config file /x.json:\n  - a is required\n  - b must be a string\n');
  });
});
