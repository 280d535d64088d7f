import { parseServeArgs, serveUsage } from '../../../src/cli/serve/serve-args';

const run = (argv: string[], env: Record<string, string> = {}) => parseServeArgs(argv, env);

describe('parseServeArgs', () => {
  it('defaults to 127.0.0.1:8787 with no key and the set-up\'s cache', () => {
    expect(run([])).toEqual({
      kind: 'run',
      options: {
        host: '127.0.0.1', port: 8787, config: undefined, fusion: undefined, cacheFile: undefined, apiKey: undefined,
        apiKeysFile: undefined, metricsKey: undefined, allowedHosts: [], logLevel: 'info', maxConnections: undefined, tenantConcurrent: undefined, tenantPerMinute: undefined,
        redisUrl: undefined,
      },
    });
  });

  it('takes the keys file, metrics key, allowed hosts and log level from flags or the environment, flags first', () => {
    const env = { DIALOGUE_API_KEYS_FILE: 'env-keys.json', DIALOGUE_METRICS_KEY: 'm', DIALOGUE_ALLOWED_HOSTS: 'a.example, .b.example', DIALOGUE_LOG_LEVEL: 'debug' };
    expect(run([], env)).toEqual({ kind: 'run', options: expect.objectContaining({ apiKeysFile: 'env-keys.json', metricsKey: 'm', allowedHosts: ['a.example', '.b.example'], logLevel: 'debug' }) });
    expect(run(['--api-keys-file', 'keys.json', '--allowed-hosts', 'c.example', '--log-level', 'warn'], env)).toEqual({
      kind: 'run', options: expect.objectContaining({ apiKeysFile: 'keys.json', allowedHosts: ['c.example'], logLevel: 'warn' }),
    });
  });

  it('takes the connection cap and the per-tenant limits', () => {
    expect(run(['--max-connections', '100', '--tenant-concurrent', '4', '--tenant-per-minute', '60'])).toEqual({
      kind: 'run', options: expect.objectContaining({ maxConnections: 100, tenantConcurrent: 4, tenantPerMinute: 60 }),
    });
  });

  it('reads PORT and DIALOGUE_API_KEY, --port winning over PORT', () => {
    expect(run([], { PORT: '9000', DIALOGUE_API_KEY: 'k' })).toEqual({ kind: 'run', options: expect.objectContaining({ port: 9000, apiKey: 'k' }) });
    expect(run(['--port', '0'], { PORT: '9000' })).toEqual({ kind: 'run', options: expect.objectContaining({ port: 0 }) });
    expect(run([], { DIALOGUE_API_KEY: '' })).toEqual({ kind: 'run', options: expect.objectContaining({ apiKey: undefined }) });
  });

  it('takes --host, --config, --fusion, --cache-file and --no-cache', () => {
    expect(run(['--host', '0.0.0.0', '--config', 'c.json', '--fusion', 'first', '--cache-file', 'x.sqlite'])).toEqual({
      kind: 'run', options: expect.objectContaining({ host: '0.0.0.0', config: 'c.json', fusion: 'first', cacheFile: 'x.sqlite' }),
    });
    expect(run(['--no-cache'])).toEqual({ kind: 'run', options: expect.objectContaining({ cacheFile: false }) });
  });

  it('takes the Redis URL from --redis-url, else DIALOGUE_REDIS_URL, and never quotes a bad one', () => {
    expect(run([], { DIALOGUE_REDIS_URL: 'redis://redis:6379' })).toEqual({ kind: 'run', options: expect.objectContaining({ redisUrl: 'redis://redis:6379' }) });
    expect(run(['--redis-url', 'rediss://:pw@cache:6380/1'], { DIALOGUE_REDIS_URL: 'redis://redis:6379' })).toEqual({ kind: 'run', options: expect.objectContaining({ redisUrl: 'rediss://:pw@cache:6380/1' }) });
    expect(run([], { DIALOGUE_REDIS_URL: '' })).toEqual({ kind: 'run', options: expect.objectContaining({ redisUrl: undefined }) });
    expect(run([], { DIALOGUE_REDIS_URL: 'http://:secret@redis' })).toEqual({ kind: 'usage-error', message: 'The Redis URL must start with redis:// or rediss://' });
    expect(serveUsage()).toContain('DIALOGUE_REDIS_URL');
  });

  it.each([
    [['--port', '70000'], "Invalid port '70000': use 0-65535"],
    [['--port', 'http'], "Invalid port 'http': use 0-65535"],
    [['--fusion', 'vote'], "Invalid --fusion 'vote': use one of best, first, sections"],
    [['--no-cache', '--cache-file', 'x'], 'Use either --cache-file or --no-cache, not both'],
    [['--host', ' '], '--host needs a host name or address'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['prompt'], expect.stringContaining("Unexpected argument 'prompt'")],
    [['--log-level', 'loud'], "Invalid log level 'loud': use one of fatal, error, warn, info, debug, trace, silent"],
    [['--max-connections', '0'], "Invalid --max-connections '0': use a whole number from 1"],
    [['--tenant-per-minute', '1.5'], "Invalid --tenant-per-minute '1.5': use a whole number from 1"],
    [['--api-keys-file', ''], '--api-keys-file needs a path'],
  ])('refuses %j', (argv, message) => {
    expect(run(argv)).toEqual({ kind: 'usage-error', message });
  });

  it('refuses a single key and a keys file together', () => {
    expect(run(['--api-keys-file', 'keys.json'], { DIALOGUE_API_KEY: 'k' })).toEqual({ kind: 'usage-error', message: 'Use either DIALOGUE_API_KEY or an API keys file, not both' });
  });

  it('refuses an invalid PORT', () => {
    expect(run([], { PORT: '-1' })).toEqual({ kind: 'usage-error', message: "Invalid port '-1': use 0-65535" });
  });

  it('shows the help for --help or -h, even next to bad options', () => {
    expect(run(['--help'])).toEqual({ kind: 'help' });
    expect(run(['-h', '--bogus'])).toEqual({ kind: 'help' });
    expect(serveUsage()).toContain('DIALOGUE_API_KEY');
  });
});
