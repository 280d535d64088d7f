/**
 * Where the CLI's experts come from, decided once at start-up, in this order:
 * 1. a config file: `--config PATH`, else `dialogue.config.json` in the working folder when it exists;
 * 2. the environment: `OPENAI_BASE_URL` and/or `OPENAI_API_KEY` set (see `env-expert.ts`);
 * 3. the three built-in simulated experts, with a one-line notice for stderr.
 * Pure: the file system comes in as `readFile`; `main.ts` only wires it.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { dirname, resolve } from 'node:path';
import type { CliOptions } from './args';
import { buildPluginParts, type Env } from './config/build-plugin-parts';
import { decodeConfigText } from './config/decode-config';
import type { Problems } from './config/decoders';
import type { ReadFile } from './config/read-config-file';
import { envPluginParts, wantsEnvExpert } from './env-expert';
import { builtInExperts } from './experts';
import type { PluginParts } from './plugin-parts';

/** The config file looked for in the working folder when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = 'dialogue.config.json';

/** The line written to stderr when neither a config file nor the environment set anything up. */
export const SIMULATED_NOTICE = `Using the built-in simulated experts (no ${DEFAULT_CONFIG_FILE}, no OPENAI_BASE_URL/OPENAI_API_KEY).`;

/** Which source the set-up came from (`path`: the config file, absolute). */
export type SetupSource = { readonly _tag: 'config'; readonly path: string } | { readonly _tag: 'env' } | { readonly _tag: 'simulated' };

/** The chosen set-up: the plugin parts, where they came from, and a line to show on stderr, if any. */
export interface Setup extends PluginParts {
  readonly source: SetupSource;
  readonly notice: string | undefined;
}

/** Why there is no set-up: a heading (`Invalid config file /x/dialogue.config.json:`) and every problem. */
export interface SetupFailure {
  readonly title: string;
  readonly problems: Problems;
}

/** What {@link resolveSetup} reads. */
export interface SetupInput {
  readonly args: Pick<CliOptions, 'config'>;
  readonly env: Env;
  /** The user's working folder: `--config` and the default config file are resolved against it. */
  readonly cwd: string;
  readonly readFile: ReadFile;
}

const fromConfig = (path: string, text: string, { env, cwd }: SetupInput): E.Either<SetupFailure, Setup> => pipe(
  decodeConfigText(text),
  E.chain((config) => buildPluginParts(config, env, { configDir: dirname(path), cwd })),
  E.bimap((problems) => ({ title: `Invalid config file ${path}:`, problems }), (parts) => ({ ...parts, source: { _tag: 'config', path }, notice: undefined })),
);

const fromEnvironment = (env: Env): E.Either<SetupFailure, Setup> => pipe(
  envPluginParts(env),
  E.bimap((problems) => ({ title: 'Invalid environment:', problems }), (parts) => ({ ...parts, source: { _tag: 'env' }, notice: undefined })),
);

const simulated = (): Setup => ({ experts: builtInExperts(), source: { _tag: 'simulated' }, notice: SIMULATED_NOTICE });

/**
 * The set-up, config > environment > simulated. Left when the config file named by `--config`
 * is missing, when a config file cannot be read or is invalid (every problem, each with its
 * path), or when the OPENAI_* variables are invalid. No problem quotes an API key.
 */
export const resolveSetup = (input: SetupInput): E.Either<SetupFailure, Setup> => {
  const path = resolve(input.cwd, input.args.config ?? DEFAULT_CONFIG_FILE);
  const read = input.readFile(path);
  if (E.isRight(read)) return fromConfig(path, read.right, input);
  if (read.left._tag === 'unreadable' || input.args.config !== undefined) {
    const reason = read.left._tag === 'unreadable' ? read.left.reason : 'no such file';
    return E.left({ title: `Cannot read config file ${path}:`, problems: [reason] });
  }
  return wantsEnvExpert(input.env) ? fromEnvironment(input.env) : E.right(simulated());
};

/** The lines to print for a failure: the heading, then `  - problem` for each. */
export const renderSetupFailure = (failure: SetupFailure): string =>
  `${[failure.title, ...failure.problems.map((problem) => `  - ${problem}`)].join('\n')}\n`;
