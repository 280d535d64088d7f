import { DEFAULT_CACHE_FILE, FUSIONS, parseCliArgs, usage } from '../../src/cli/args';
import { DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL } from '../../src/cli/env-expert';
import { DEFAULT_CONFIG_FILE } from '../../src/cli/setup';

const options = (argv: string[]) => {
  const parsed = parseCliArgs(argv);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(parsed)}`);
  return parsed.options;
};

const usageError = (argv: string[]): string => {
  const parsed = parseCliArgs(argv);
  if (parsed.kind !== 'usage-error') throw new Error(`expected usage-error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
};

describe('parseCliArgs', () => {
  it('leaves fusion, cache file and config undefined for a bare prompt (the set-up or the defaults decide)', () => {
    expect(options(['What is a monad?'])).toEqual({
      prompt: 'What is a monad?', fusion: undefined, scope: undefined, cacheFile: undefined, config: undefined, json: false, color: true,
      chat: false, system: undefined,
    });
  });

  it('joins several positional arguments into one prompt', () => {
    expect(options(['What', 'is', 'a', 'monad?']).prompt).toBe('What is a monad?');
  });

  it('leaves the prompt undefined when none is given (stdin may supply it)', () => {
    expect(options([]).prompt).toBeUndefined();
    expect(options(['--json']).prompt).toBeUndefined();
  });

  it('reads every option', () => {
    expect(options(['--fusion', 'sections', '--scope', 'team-a', '--cache-file', '/tmp/x.sqlite', '--config', 'my.json', '--json', '--no-color', 'q'])).toEqual({
      prompt: 'q', fusion: 'sections', scope: 'team-a', cacheFile: '/tmp/x.sqlite', config: 'my.json', json: true, color: false,
      chat: false, system: undefined,
    });
    expect(options(['--fusion=first', 'q']).fusion).toBe('first');
    expect(options(['--no-cache', 'q']).cacheFile).toBe(false);
  });

  it('accepts every built-in fusion', () => {
    for (const fusion of FUSIONS) expect(options(['--fusion', fusion, 'q']).fusion).toBe(fusion);
  });

  it('takes a prompt that starts with a dash after --', () => {
    expect(options(['--json', '--', '-1 is odd?']).prompt).toBe('-1 is odd?');
  });

  it('asks for help with --help or -h, even next to other or unknown options', () => {
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['--json', 'q', '--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['--bogus', '-h'])).toEqual({ kind: 'help' });
  });

  it('rejects an unknown option, naming it', () => {
    expect(usageError(['--bogus', 'q'])).toBe("Unknown option '--bogus'");
    expect(usageError(['-x', 'q'])).toBe("Unknown option '-x'");
  });

  it('rejects a missing or unexpected option value', () => {
    expect(usageError(['q', '--fusion'])).toBe("Option '--fusion <value>' argument missing");
    expect(usageError(['--json=yes', 'q'])).toBe("Option '--json' does not take an argument");
  });

  it('rejects an unknown fusion, listing the choices', () => {
    expect(usageError(['--fusion', 'vote', 'q'])).toBe("Invalid --fusion 'vote': use one of best, first, sections");
  });

  it('rejects --cache-file with --no-cache, an empty cache path and a blank scope', () => {
    expect(usageError(['--cache-file', 'a.sqlite', '--no-cache', 'q'])).toBe('Use either --cache-file or --no-cache, not both');
    expect(usageError(['--cache-file=', 'q'])).toBe('--cache-file needs a path');
    expect(usageError(['--scope', ' ', 'q'])).toBe('--scope must not be blank');
  });

  it('rejects an empty --config path', () => {
    expect(usageError(['--config=', 'q'])).toBe('--config needs a path');
  });

  it('reads --chat and --system (a system prompt is valid in one-shot mode too)', () => {
    expect(options(['--chat', '--system', 'Be brief'])).toEqual(expect.objectContaining({ chat: true, system: 'Be brief', prompt: undefined }));
    expect(options(['--system=Be brief', 'q'])).toEqual(expect.objectContaining({ chat: false, system: 'Be brief', prompt: 'q' }));
    expect(options(['--chat', '--json']).json).toBe(true);
  });

  it('rejects --chat with a prompt argument, and a blank or missing --system', () => {
    expect(usageError(['--chat', 'q'])).toBe('--chat reads its prompts from the terminal, one per line: give no prompt argument');
    expect(usageError(['--system', ' ', 'q'])).toBe('--system must not be blank');
    expect(usageError(['q', '--system'])).toMatch(/--system/);
  });
});

describe('usage', () => {
  it('documents every option', () => {
    const text = usage();
    for (const option of ['--config PATH', '--fusion best|first|sections', '--scope S', '--cache-file PATH', '--no-cache', '--json', '--no-color', '--system TEXT', '--chat', '/new', '/exit', '-h, --help']) {
      expect(text).toContain(option);
    }
    expect(text).toContain(`./${DEFAULT_CACHE_FILE}`);
    expect(text).toContain(`./${DEFAULT_CONFIG_FILE}`);
    expect(text).toContain('130 cancelled');
  });

  it('documents the environment variables and their defaults', () => {
    const text = usage();
    for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'NO_COLOR', 'apiKeyEnv', DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL]) {
      expect(text).toContain(name);
    }
  });

  it('keeps every line within 100 columns', () => {
    expect(Math.max(...usage().split('\n').map((line) => line.length))).toBeLessThanOrEqual(100);
  });
});
