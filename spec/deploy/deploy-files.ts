/**
 * Readers for the files under deploy/, for the deploy specs: YAML (one or many documents), the
 * Dockerfile's instructions by stage, compose's `${VAR}` interpolation, the metric names a PromQL
 * expression reads, the metric names a real server exports, and promtool when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { serveUsage } from '../../src/cli/serve/serve-args';
import { stopOnSignals } from '../../src/cli/serve/stop-on-signals';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');
/** deploy/ */
export const DEPLOY = path.join(ROOT, 'deploy');

/** A file under deploy/, as text. */
export const deployText = (file: string): string => readFileSync(path.join(DEPLOY, file), 'utf8');

/** A one-document YAML file under deploy/ (merge keys `<<` resolved, as compose does). */
export const yamlFile = <T = unknown>(file: string): T => parse(deployText(file), { merge: true }) as T;

/** Every document of a YAML file under deploy/; throws on the first parse error. */
export const yamlDocuments = <T = unknown>(file: string): T[] => parseAllDocuments(deployText(file)).map((document) => {
  if (document.errors.length > 0) throw document.errors[0];
  return document.toJS() as T;
});

/** One Dockerfile instruction: its keyword (upper case) and its arguments, continuation lines joined. */
export interface Instruction { readonly keyword: string; readonly args: string }

/** One build stage: its `FROM` arguments, its name (after `AS`), its instructions after `FROM`. */
export interface Stage { readonly from: string; readonly name: string | undefined; readonly instructions: readonly Instruction[] }

/** The instructions of a Dockerfile (comment lines dropped, `\` continuations joined). */
export const dockerInstructions = (text: string): Instruction[] => {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    current += continued ? line.replace(/\\\s*$/, ' ') : line;
    if (!continued) {
      if (current.trim() !== '') logical.push(current.trim());
      current = '';
    }
  }
  return logical.map((line) => {
    const [, keyword = '', args = ''] = /^(\S+)\s*([\s\S]*)$/.exec(line) ?? [];
    return { keyword: keyword.toUpperCase(), args: args.trim() };
  });
};

/** The stages of a Dockerfile (instructions before the first FROM, such as ARG, are dropped). */
export const dockerStages = (text: string): Stage[] => {
  const stages: Array<{ from: string; name: string | undefined; instructions: Instruction[] }> = [];
  for (const instruction of dockerInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
};

/** The arguments of an exec-form (JSON array) instruction such as ENTRYPOINT or CMD; throws for the shell form. */
export const execForm = (args: string): string[] => {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return parsed;
};

/** The `KEY=value` pairs of an ENV instruction (the `KEY=value ...` form). */
export const envPairs = (args: string): Record<string, string> =>
  Object.fromEntries([...args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map(([, key, value]) => [key, value.replace(/^"|"$/g, '')]));

/** Compose's interpolation of `${VAR}`, `${VAR:-default}` and `${VAR:?error}`; a missing required variable throws its error text. */
export const interpolate = (text: string, env: Readonly<Record<string, string | undefined>>): string =>
  text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_match, name: string, operator: string | undefined, word: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (operator === '?') throw new Error(word ?? `${name} is required`);
    return operator === '-' ? (word ?? '') : (value ?? '');
  });

/**
 * The environment variables `serve` reads, from its own `--help` text (the Environment section),
 * e.g. `PORT`, `DIALOGUE_API_KEY`, `OPENAI_BASE_URL`.
 */
export const serveEnvironment = (): Set<string> => {
  const section = serveUsage().split('\nEnvironment:\n')[1]?.split('\n\n')[0] ?? '';
  const names = section.split('\n').flatMap((line) => /^ {2}([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*)\s/.exec(line)?.[1].split(', ') ?? []);
  return new Set(names);
};

/**
 * How long `serve` gives its graceful shutdown before exiting anyway: `stopOnSignals`' own
 * default, read by signalling it (serve.ts must not pass its own `forceAfterMs`).
 */
export const serveForcedExitMs = (): number => {
  if (readFileSync(path.join(ROOT, 'src/cli/serve.ts'), 'utf8').includes('forceAfterMs')) throw new Error('serve.ts sets forceAfterMs: read it from there');
  const waits: number[] = [];
  const listeners = new Map<string, (signal: NodeJS.Signals) => void>();
  stopOnSignals({ shutdown: () => new Promise(() => undefined), exit: () => undefined, report: () => undefined, later: (ms) => waits.push(ms) }, { on: (signal, listener) => listeners.set(signal, listener) });
  listeners.get('SIGTERM')!('SIGTERM');
  return waits[0];
};

const PROMQL_WORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

/** The metric names a PromQL expression reads (label matchers, ranges, label lists, strings and function names left out). */
export const metricNamesIn = (expr: string): string[] => {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\boffset\s+-?\w+/gi, ' ');
  const names = [...bare.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()/g)].map(([, name]) => name).filter((name) => !PROMQL_WORDS.has(name.toLowerCase()));
  return [...new Set(names)];
};

/** The series names a `/metrics` body exports: every `# TYPE` name, and a histogram's `_bucket`, `_sum` and `_count`. */
export const exportedNames = (text: string): Map<string, string> => {
  const names = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.set(name, type);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.set(name + suffix, `${type} series`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.set(name + suffix, `${type} series`);
  }
  return names;
};

/** Series Prometheus makes itself for every target. */
export const PROMETHEUS_OWN = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/** promtool's verdict, or undefined when promtool is not on PATH. */
export const promtool = (args: readonly string[], cwd = DEPLOY): { status: number; output: string } | undefined => {
  const run = spawnSync('promtool', [...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  if (run.error !== undefined) throw run.error;
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
};

/** `10s`, `1m30s`, `500ms` (compose and Prometheus durations) in ms. */
export const durationMs = (text: string): number => {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map(([part]) => part).join('') !== text) throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * units[unit], 0);
};
