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
  /** `--fusion`; undefined when not given (the config file's, else 'best'). */
  readonly fusion: FusionChoice | undefined;
  readonly scope: string | undefined;
  /**
   * `--cache-file PATH`, or false for `--no-cache`; undefined when neither was given (the config
   * file's cache, else {@link DEFAULT_CACHE_FILE}).
   */
  readonly cacheFile: string | false | undefined;
  /** `--config PATH`; undefined: `./dialogue.config.json` when it exists. */
  readonly config: string | undefined;
  readonly json: boolean;
  /** False when `--no-color` was given (NO_COLOR and the terminal are checked elsewhere). */
  readonly color: boolean;
  /** `--chat`: an interactive session (prompts read line by line, history kept) instead of one prompt. */
  readonly chat: boolean;
  /** `--system TEXT`: the system prompt, sent first in every request; undefined when not given. */
  readonly system: string | undefined;
}

/** The outcome of parsing: run with options, show the help, or a usage error to report (exit 2). */
export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: CliOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string };

const OPTIONS = {
  config: { type: 'string' },
  fusion: { type: 'string' },
  scope: { type: 'string' },
  'cache-file': { type: 'string' },
  'no-cache': { type: 'boolean' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  chat: { type: 'boolean' },
  system: { type: 'string' },
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
  const fusion = values.fusion;
  if (fusion !== undefined && !isFusion(fusion)) {
    return { kind: 'usage-error', message: `Invalid --fusion '${fusion}': use one of ${FUSIONS.join(', ')}` };
  }
  if (values['no-cache'] === true && values['cache-file'] !== undefined) {
    return { kind: 'usage-error', message: 'Use either --cache-file or --no-cache, not both' };
  }
  if (values['cache-file'] === '') return { kind: 'usage-error', message: '--cache-file needs a path' };
  if (values.config === '') return { kind: 'usage-error', message: '--config needs a path' };
  if (values.scope !== undefined && values.scope.trim() === '') return { kind: 'usage-error', message: '--scope must not be blank' };
  if (values.system !== undefined && values.system.trim() === '') return { kind: 'usage-error', message: '--system must not be blank' };
  if (values.chat === true && positionals.length > 0) {
    return { kind: 'usage-error', message: '--chat reads its prompts from the terminal, one per line: give no prompt argument' };
  }
  const prompt = positionals.length === 0 ? undefined : positionals.join(' ');
  return {
    kind: 'run',
    options: {
      prompt,
      fusion,
      scope: values.scope,
      cacheFile: values['no-cache'] === true ? false : values['cache-file'],
      config: values.config,
      json: values.json === true,
      color: values['no-color'] !== true,
      chat: values.chat === true,
      system: values.system,
    },
  };
};

/** The message for a run without a prompt (none as argument, none on stdin). */
export const MISSING_PROMPT = 'Missing prompt: give it as an argument, or pipe it on stdin';

/** The `--help` text; every option and environment variable is documented here. */
export const usage = (program = 'npm start --'): string => `Usage: ${program} [options] "your prompt"
       echo "your prompt" | ${program} [options]
       ${program} --chat [options]

Asks several LLM experts the prompt at once, streams their answers live, one lane per
expert, then prints the fused answer and a stage-timing table. Answers are cached in
SQLite: asking again is instant.

Where the experts come from, first match wins:
  1. a config file: --config PATH, or ./dialogue.config.json when it exists;
  2. the environment: OPENAI_BASE_URL and/or OPENAI_API_KEY set gives one
     OpenAI-compatible expert (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, Groq, ...);
  3. otherwise three built-in simulated experts of different speeds (swift, steady, deep).

Options:
  --config PATH                 JSON config file: experts, router, fusion, cache, retry,
                                timeouts, limits (see "Providers" in the README). Relative
                                to the folder you run the command from (default:
                                ./dialogue.config.json, only if it exists). API keys stay in
                                environment variables, named by each expert's "apiKeyEnv".
  --fusion best|first|sections  How to turn the answers into one (default: the config
                                file's, else best). best: the answer that agrees most with
                                the others; first: the first expert to finish; sections: all.
  --scope S                     Cache scope (tenant or user): answers cached under one
                                scope are never served to another.
  --cache-file PATH             SQLite cache file, relative to the folder you run the
                                command from (default: the config file's cache, else
                                ./${DEFAULT_CACHE_FILE}).
  --no-cache                    Do not read or write any cache.
  --json                        Print every pipeline event as one JSON line (NDJSON)
                                instead of lanes and tables.
  --no-color                    No colors (the NO_COLOR environment variable does the same).
  --system TEXT                 System prompt, sent before the conversation (one-shot and chat).
  --chat                        Interactive chat: type a prompt per line; every turn sends
                                the whole conversation so far. Ctrl-C while an answer
                                streams cancels that answer (it is left out of the history)
                                and the session goes on; Ctrl-C at an empty prompt, Ctrl-D or
                                /exit ends it (exit 0); /new starts a new conversation.
                                With --json: every event of every turn as NDJSON.
  -h, --help                    Show this help.

Environment (used only without a config file):
  OPENAI_BASE_URL               API root of an OpenAI-compatible server
                                (default: https://api.openai.com/v1).
  OPENAI_API_KEY                Its API key (omit it for local servers such as Ollama).
  OPENAI_MODEL                  The model to ask (default: gpt-4o-mini).
  NO_COLOR                      Non-empty: no colors.

Exit codes: 0 answered, 1 system error, 2 invalid request, usage or config file,
130 cancelled (Ctrl-C).
`;
