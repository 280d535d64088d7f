/**
 * The arguments of `npm run serve` (`src/cli/serve.ts`): where to listen, who may use it (keys,
 * host names), its limits and log level, the same set-up flags as the CLI (`--config`,
 * `--fusion`, `--cache-file`, `--no-cache`), and the Redis to scale out over (`--redis-url`).
 * Pure: the environment comes in as a value.
 */
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '../../index';
import { FUSIONS, type FusionChoice } from '../args';

/** Default host: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default port. */
export const DEFAULT_PORT = 8787;

/** What the command line (and environment) ask for. */
export interface ServeOptions {
  readonly host: string;
  /** 0: any free port (the one bound is printed). */
  readonly port: number;
  readonly config: string | undefined;
  readonly fusion: FusionChoice | undefined;
  /** `--cache-file PATH`, false for `--no-cache`, undefined: the set-up's or the CLI's default file. */
  readonly cacheFile: string | false | undefined;
  /** `DIALOGUE_API_KEY` when set and non-empty. */
  readonly apiKey: string | undefined;
  /** `--redis-url`, else `DIALOGUE_REDIS_URL` when set and non-empty: the replicas' shared cache and coordinator. */
  readonly redisUrl: string | undefined;
  /** `--api-keys-file` or `DIALOGUE_API_KEYS_FILE`: a JSON file `{ "<key>": { "tenant": "<name>" } }`. */
  readonly apiKeysFile: string | undefined;
  /** `DIALOGUE_METRICS_KEY` when set and non-empty. */
  readonly metricsKey: string | undefined;
  /** `--allowed-hosts` or `DIALOGUE_ALLOWED_HOSTS`, comma-separated. */
  readonly allowedHosts: readonly string[];
  /** `--log-level` or `DIALOGUE_LOG_LEVEL`; default `info`. */
  readonly logLevel: LogLevel;
  /** `--max-connections`; undefined: the server's default. */
  readonly maxConnections: number | undefined;
  /** `--tenant-concurrent` and `--tenant-per-minute`; undefined: the server's defaults. */
  readonly tenantConcurrent: number | undefined;
  readonly tenantPerMinute: number | undefined;
}

/** Run with options, show the help, or a usage error (exit 2). */
export type ParsedServeArgs =
  | { readonly kind: 'run'; readonly options: ServeOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string };

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  fusion: { type: 'string' },
  'cache-file': { type: 'string' },
  'no-cache': { type: 'boolean' },
  'redis-url': { type: 'string' },
  'api-keys-file': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'log-level': { type: 'string' },
  'max-connections': { type: 'string' },
  'tenant-concurrent': { type: 'string' },
  'tenant-per-minute': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const portOf = (text: string): number | undefined => (/^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined);

/** A positive integer flag: undefined when absent, NaN when malformed. */
const countOf = (text: string | undefined): number | undefined => (text === undefined ? undefined : /^[1-9]\d{0,8}$/.test(text) ? Number(text) : Number.NaN);

const nonEmpty = (text: string | undefined): string | undefined => (text === undefined || text === '' ? undefined : text);

const message = (error: unknown): string =>
  (typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error)).split('\n')[0];

/** Parses the arguments after the script name; `--port` wins over `PORT`. */
export const parseServeArgs = (argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedServeArgs => {
  let values;
  try {
    values = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (error) {
    return argv.includes('--help') || argv.includes('-h') ? { kind: 'help' } : { kind: 'usage-error', message: message(error) };
  }
  if (values.help === true) return { kind: 'help' };
  const portText = values.port ?? env.PORT;
  const port = portText === undefined || portText === '' ? DEFAULT_PORT : portOf(portText);
  if (port === undefined) return { kind: 'usage-error', message: `Invalid port '${portText}': use 0-65535` };
  const host = values.host ?? DEFAULT_HOST;
  if (host.trim() === '') return { kind: 'usage-error', message: '--host needs a host name or address' };
  const fusion = values.fusion;
  if (fusion !== undefined && !(FUSIONS as readonly string[]).includes(fusion)) {
    return { kind: 'usage-error', message: `Invalid --fusion '${fusion}': use one of ${FUSIONS.join(', ')}` };
  }
  if (values['no-cache'] === true && values['cache-file'] !== undefined) return { kind: 'usage-error', message: 'Use either --cache-file or --no-cache, not both' };
  if (values['cache-file'] === '' || values.config === '') return { kind: 'usage-error', message: '--cache-file and --config need a path' };
  const apiKey = nonEmpty(env.DIALOGUE_API_KEY);
  const apiKeysFile = nonEmpty(values['api-keys-file'] ?? env.DIALOGUE_API_KEYS_FILE);
  if (values['api-keys-file'] === '') return { kind: 'usage-error', message: '--api-keys-file needs a path' };
  if (apiKey !== undefined && apiKeysFile !== undefined) return { kind: 'usage-error', message: 'Use either DIALOGUE_API_KEY or an API keys file, not both' };
  const logLevel = values['log-level'] ?? nonEmpty(env.DIALOGUE_LOG_LEVEL) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) return { kind: 'usage-error', message: `Invalid log level '${logLevel}': use one of ${LOG_LEVELS.join(', ')}` };
  const counts = { maxConnections: 'max-connections', tenantConcurrent: 'tenant-concurrent', tenantPerMinute: 'tenant-per-minute' } as const;
  const numbers = Object.fromEntries(Object.entries(counts).map(([name, flag]) => [name, countOf(values[flag])])) as Record<keyof typeof counts, number | undefined>;
  const bad = (Object.keys(counts) as Array<keyof typeof counts>).find((name) => Number.isNaN(numbers[name]));
  if (bad !== undefined) return { kind: 'usage-error', message: `Invalid --${counts[bad]} '${values[counts[bad]]}': use a whole number from 1` };
  const allowedHosts = (values['allowed-hosts'] ?? env.DIALOGUE_ALLOWED_HOSTS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const redisUrl = values['redis-url'] ?? (env.DIALOGUE_REDIS_URL === '' ? undefined : env.DIALOGUE_REDIS_URL);
  // The URL may hold a password: never quoted.
  if (redisUrl !== undefined && !/^rediss?:\/\/./i.test(redisUrl)) return { kind: 'usage-error', message: 'The Redis URL must start with redis:// or rediss://' };
  return {
    kind: 'run',
    options: {
      host,
      port,
      config: values.config,
      fusion: fusion as FusionChoice | undefined,
      cacheFile: values['no-cache'] === true ? false : values['cache-file'],
      apiKey,
      apiKeysFile,
      metricsKey: nonEmpty(env.DIALOGUE_METRICS_KEY),
      allowedHosts,
      logLevel: logLevel as LogLevel,
      ...numbers,
      redisUrl,
    },
  };
};

/** The `--help` text. */
export const serveUsage = (program = 'npm run serve --'): string => `Usage: ${program} [options]

Serves the dialogue pipeline over HTTP: POST /api/dialogue (SSE events), POST /api/cancel/:id,
POST /v1/chat/completions and GET /v1/models (OpenAI-compatible), GET /metrics (Prometheus),
GET /healthz (alive) and GET /readyz (ready for traffic). The experts come from the same
set-up as the CLI (config file, environment, or the built-in simulated experts).

Options:
  --host HOST          Address to listen on (default ${DEFAULT_HOST}: this machine only).
  --port PORT          Port (default: $PORT, else ${DEFAULT_PORT}; 0 = any free port).
  --config PATH        JSON config file (default: ./dialogue.config.json, only if it exists).
  --fusion best|first|sections
  --cache-file PATH    SQLite cache file (default: the config file's, else ./dialogue-cache.sqlite).
  --no-cache           No cache.
  --api-keys-file PATH JSON file of API keys and their tenants: {"<key>": {"tenant": "<name>"}, ...}.
                       Each tenant has its own cache scope, request ids and limits. Keep it chmod 600.
  --allowed-hosts LIST Comma-separated host names this server answers to besides localhost, 127.0.0.1,
                       [::1] and its own address (api.example.com, api.example.com:8443, .example.com).
  --max-connections N  Most open connections (default 512, or half the open-file limit when lower).
  --tenant-concurrent N   Requests one tenant may have in flight (default 16).
  --tenant-per-minute N   Requests one tenant may start per minute (default 300).
  --log-level LEVEL    ${LOG_LEVELS.join(', ')} (default info). One JSON line per request on stdout.
  --redis-url URL      Scale out: replicas share a cache in this Redis (unless --cache-file or
                       --no-cache) and cancel and run duplicate requests once across replicas
                       (default: $DIALOGUE_REDIS_URL). GET /readyz fails while the cache does.
  -h, --help           Show this help.

Environment:
  DIALOGUE_API_KEY     One key (tenant "default"): every route but / (the static demo page), /healthz and /readyz
                       needs "Authorization: Bearer <key>". Not together with an API keys file.
  DIALOGUE_API_KEYS_FILE   As --api-keys-file.
  DIALOGUE_METRICS_KEY The key for GET /metrics (tenant keys do not open it; with several tenants
                       and no metrics key, /metrics is closed).
  DIALOGUE_ALLOWED_HOSTS   As --allowed-hosts.
  DIALOGUE_LOG_LEVEL   As --log-level.
  PORT                 Port, when --port is not given.
  DIALOGUE_REDIS_URL   Redis URL (redis://[user:password@]host:port[/db]), when --redis-url is not given.
  OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL   One OpenAI-compatible expert (no config file).

SIGTERM or Ctrl-C: /readyz answers 503, then the server stops accepting, cancels the requests
in flight (their clients are told), waits for cache writes, exits 0 (forced exit after 5 s; a second signal, 1 s or more after the
first, exits at once).
`;
