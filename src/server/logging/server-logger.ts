/**
 * The server's logger: pino, writing one JSON object per line, every line redacted (see
 * `redact.ts`). Off unless the server is given `log` (a library should not write to your stdout
 * unasked); `npm run serve` turns it on at `info`.
 *
 * Why pino: the de facto JSON logger of Node servers (Fastify's), maintained, no native parts,
 * runs on Node 20; levels, ISO times and a `streamWrite` hook to redact the finished line, and
 * nothing to hand-write about escaping or partial writes.
 */
import pino, { type Logger } from 'pino';
import { redactDeep, redactLine } from './redact';

/** Log levels, most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where lines go: anything with `write(line)` (a stream, a file, an array in tests). */
export interface LogDestination { write(line: string): unknown }

/** The server's `log` option. */
export interface LogOptions {
  /** Default `info`. */
  readonly level?: LogLevel;
  /** Default `process.stdout`. */
  readonly destination?: LogDestination;
}

/** What the server logs. Every field is redacted before it is written. */
export interface ServerLog {
  /** The one line per request. */
  request(level: 'info' | 'warn' | 'error', fields: Readonly<Record<string, unknown>>): void;
  /** An unexpected error in a route (its type and message, redacted; never a request body). */
  error(message: string, error: unknown): void;
  /** Something an operator should know (connections shed, ...). */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A log that writes nothing. */
export const silentLog: ServerLog = { request: () => undefined, error: () => undefined, warn: () => undefined };

const describeError = (error: unknown): Record<string, unknown> =>
  (error instanceof Error ? { type: error.name, message: error.message } : { type: typeof error, message: String(error) });

/** A logger for `options` ({@link silentLog} when undefined). */
export const createServerLog = (options: LogOptions | undefined): ServerLog => {
  if (options === undefined) return silentLog;
  const logger: Logger = pino({
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: { streamWrite: redactLine },
  }, options.destination ?? process.stdout);
  const write = (level: 'info' | 'warn' | 'error', fields: Readonly<Record<string, unknown>>, message: string): void => {
    if (logger.isLevelEnabled(level)) logger[level](redactDeep(fields) as Record<string, unknown>, message);
  };
  return {
    request: (level, fields) => write(level, fields, 'request'),
    error: (message, error) => write('error', { error: describeError(error) }, message),
    warn: (message, fields = {}) => write('warn', fields, message),
  };
};

/** Problems with the `log` option. */
export const logOptionsProblems = (value: unknown): string[] => {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null) return ['log must be an object { level?, destination? }'];
  const { level, destination } = value as Record<string, unknown>;
  return [
    ...(level === undefined || (LOG_LEVELS as readonly unknown[]).includes(level) ? [] : [`log.level must be one of ${LOG_LEVELS.join(', ')}`]),
    ...(destination === undefined || typeof (destination as { write?: unknown } | null)?.write === 'function' ? [] : ['log.destination must have a write(line) method']),
  ];
};
