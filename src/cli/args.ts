/**
 * Command-line arguments: parsing (Node's `util.parseArgs`, no dependency) and the usage text.
 * Pure: no process, no I/O; `main.ts` decides what to do with the result.
 */
import { parseArgs } from 'node:util';

/** The built-in fusion strategies the CLI offers. */
export const FUSIONS = ['best', 'first', 'sections'] as const;

/** One of {@link FUSIONS}. */
export type FusionChoice = (typeof FUSIONS)[number];

/** The cache file used when neither `--cache-file` nor `--no-cache` is given (relative to the working folder). */
export const DEFAULT_CACHE_FILE = 'dialogue-cache.sqlite';

/** What the command line asks for, after defaults. */
export interface CliOptions {
  /** The prompt arguments joined by spaces; undefined when none were given (it may then come from stdin). */
  readonly prompt: string | undefined;
  readonly fusion: FusionChoice;
  readonly scope: string | undefined;
  /** Path of the SQLite cache file, or false for `--no-cache`. */
  readonly cacheFile: string | false;
  readonly json: boolean;
  /** False when `--no-color` was given (NO_COLOR and the terminal are checked elsewhere). */
  readonly color: boolean;
}

/** The outcome of parsing: run with options, show the help, or a usage error to report (exit 2). */
export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: CliOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string };

const OPTIONS = {
  fusion: { type: 'string' },
  scope: { type: 'string' },
  'cache-file': { type: 'string' },
  'no-cache': { type: 'boolean' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const isFusion = (value: string): value is FusionChoice => (FUSIONS as readonly string[]).includes(value);

/** First line of a parseArgs error, without Node's hint about `--` (our usage text follows anyway). */
const parseErrorMessage = (error: unknown): string => {
  // Duck-typed: parseArgs' TypeError may come from another realm (as under jest).
  const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  return message.split('. To specify a positional argument')[0].split('\n')[0];
};

/**
 * Parses the arguments after the script name. `--help`/`-h` wins over everything else;
 * unknown options, a missing or invalid value, and conflicting options are usage errors.
 * Several positional arguments are joined with spaces into one prompt.
 */
export const parseCliArgs = (argv: readonly string[]): ParsedArgs => {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
    return { kind: 'usage-error', message: parseErrorMessage(error) };
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  const fusion = values.fusion ?? 'best';
  if (!isFusion(fusion)) {
    return { kind: 'usage-error', message: `Invalid --fusion '${fusion}': use one of ${FUSIONS.join(', ')}` };
  }
  if (values['no-cache'] === true && values['cache-file'] !== undefined) {
    return { kind: 'usage-error', message: 'Use either --cache-file or --no-cache, not both' };
  }
  if (values['cache-file'] === '') return { kind: 'usage-error', message: '--cache-file needs a path' };
  if (values.scope !== undefined && values.scope.trim() === '') return { kind: 'usage-error', message: '--scope must not be blank' };
  const prompt = positionals.length === 0 ? undefined : positionals.join(' ');
  return {
    kind: 'run',
    options: {
      prompt,
      fusion,
      scope: values.scope,
      cacheFile: values['no-cache'] === true ? false : values['cache-file'] ?? DEFAULT_CACHE_FILE,
      json: values.json === true,
      color: values['no-color'] !== true,
    },
  };
};

/** The message for a run without a prompt (none as argument, none on stdin). */
export const MISSING_PROMPT = 'Missing prompt: give it as an argument, or pipe it on stdin';

/** The `--help` text; every option is documented here. */
export const usage = (program = 'npm start --'): string => `Usage: ${program} [options] "your prompt"
       echo "your prompt" | ${program} [options]

Asks three simulated experts of different speeds (swift, steady, deep) the prompt,
streams their answers live, one lane per expert, then prints the fused answer and
a stage-timing table. Answers are cached in SQLite: asking again is instant.

Options:
  --fusion best|first|sections  How to turn the answers into one (default: best).
                                best: the answer that agrees most with the others;
                                first: the first expert to finish; sections: all of them.
  --scope S                     Cache scope (tenant or user): answers cached under one
                                scope are never served to another.
  --cache-file PATH             SQLite cache file, relative to the folder you run the
                                command from (default: ./${DEFAULT_CACHE_FILE}).
  --no-cache                    Do not read or write any cache.
  --json                        Print every pipeline event as one JSON line (NDJSON)
                                instead of lanes and tables.
  --no-color                    No colors (the NO_COLOR environment variable does the same).
  -h, --help                    Show this help.

Exit codes: 0 answered, 1 system error, 2 invalid request or usage, 130 cancelled (Ctrl-C).
`;
