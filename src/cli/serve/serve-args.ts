/**
 * The arguments of `npm run serve` (`src/cli/serve.ts`): where to listen, the same set-up flags
 * as the CLI (`--config`, `--fusion`, `--cache-file`, `--no-cache`), and the Redis to scale out
 * over (`--redis-url`). Pure: the environment comes in as a value.
 */
import { parseArgs } from 'node:util';
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
  help: { type: 'boolean', short: 'h' },
} as const;

const portOf = (text: string): number | undefined => (/^\d{1,5}$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined);

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
  const redisUrl = values['redis-url'] ?? (env.DIALOGUE_REDIS_URL === '' ? undefined : env.DIALOGUE_REDIS_URL);
  // The URL may hold a password: never quoted.
  if (redisUrl !== undefined && !/^rediss?:\/\/./i.test(redisUrl)) return { kind: 'usage-error', message: 'The Redis URL must start with redis:// or rediss://' };
  const apiKey = env.DIALOGUE_API_KEY;
  return {
    kind: 'run',
    options: {
      host,
      port,
      config: values.config,
      fusion: fusion as FusionChoice | undefined,
      cacheFile: values['no-cache'] === true ? false : values['cache-file'],
      apiKey: apiKey === undefined || apiKey === '' ? undefined : apiKey,
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
  --redis-url URL      Scale out: replicas share a cache in this Redis (unless --cache-file or
                       --no-cache) and cancel and run duplicate requests once across replicas
                       (default: $DIALOGUE_REDIS_URL). GET /readyz fails while the cache does.
  -h, --help           Show this help.

Environment:
  DIALOGUE_API_KEY     When set, every route but / (the static demo page), /healthz and /readyz needs "Authorization: Bearer <key>".
  PORT                 Port, when --port is not given.
  DIALOGUE_REDIS_URL   Redis URL (redis://[user:password@]host:port[/db]), when --redis-url is not given.
  OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL   One OpenAI-compatible expert (no config file).

SIGTERM or Ctrl-C: /readyz answers 503, then the server stops accepting, cancels the requests
in flight (their clients are told), waits for cache writes, exits 0 (forced exit after 5 s; a second signal, 1 s or more after the
first, exits at once).
`;
