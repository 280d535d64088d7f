/**
 * Decodes `dialogue.config.json`: the JSON text, then every section, then the references
 * across sections, reporting every problem at once, each with its path
 * (`experts[1].baseURL must be an http(s) URL`). No message quotes a value from the file.
 */
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { checkReferences } from './check-references';
import { fail, nonEmptyArray, struct, type Decoded, type Decoder } from './decoders';
import { expertConfig } from './decode-expert';
import { breakerConfig, cacheConfig, fusionConfig, limitsConfig, retryConfig, routerConfig, timeoutsConfig } from './decode-parts';
import type { DialogueConfig } from './schema';

const sections: Decoder<DialogueConfig> = struct(
  { experts: nonEmptyArray(expertConfig) },
  { router: routerConfig, fusion: fusionConfig, cache: cacheConfig, retry: retryConfig, timeouts: timeoutsConfig, limits: limitsConfig, breaker: breakerConfig },
);

/** Right(config) for a valid config value, Left(every problem) otherwise. */
export const decodeConfig = (value: unknown): Decoded<DialogueConfig> => pipe(sections(value, ''), E.chain(checkReferences));

/** Line and column (1-based) of a character offset. */
const lineAndColumn = (text: string, offset: number): string => {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
};

/**
 * Parses JSON text (a leading byte-order mark allowed). The problem names the line and column
 * of a syntax error, never the text around it: `JSON.parse`'s own message may quote it.
 */
export const parseJson = (text: string): Decoded<unknown> => {
  const source = text.replace(/^\uFEFF/, '');
  try {
    return E.right(JSON.parse(source) as unknown);
  } catch (error) {
    const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    const where = position === undefined ? (source.trim() === '' ? ' (the file is empty)' : ' (it ends too early)') : ` (at ${lineAndColumn(source, Number(position))})`;
    return fail(`the config is not valid JSON${where}`);
  }
};

/** Parses and decodes the text of a config file. */
export const decodeConfigText = (text: string): Decoded<DialogueConfig> => pipe(parseJson(text), E.chain(decodeConfig));
