/**
 * The dependency rule (one way): model <- strategies, operators <- pipeline <- sources/sinks
 * wiring <- cli, server (through src/index.ts only; browser code through src/browser.ts only).
 * Reads every import of every file under src/ and fails on one that breaks the rule.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '../../src');

type Layer = 'model' | 'strategies' | 'operators' | 'pipeline' | 'sources' | 'sinks' | 'entry' | 'browser-entry' | 'cli' | 'server' | 'browser';

const MODEL_FILES = new Set(['events.ts', 'errors.ts', 'plan.ts', 'ports.ts', 'metrics.ts', 'chain-events.ts', 'conversation.ts']);

/** The layer of a file, by its path under src/. */
const layerOf = (file: string): Layer => {
  const path = relative(SRC, file).split('\\').join('/');
  if (path === 'index.ts') return 'entry';
  if (path === 'browser.ts' || path.startsWith('browser/')) return 'browser-entry';
  if (!path.includes('/')) {
    if (MODEL_FILES.has(path)) return 'model';
    throw new Error(`src/${path}: a file directly in src/ must be a model file (${[...MODEL_FILES].join(', ')}) or an entry point`);
  }
  if (path.startsWith('server/demo/browser/')) return 'browser';
  const top = path.split('/')[0] as Layer;
  if (!['strategies', 'operators', 'pipeline', 'sources', 'sinks', 'cli', 'server'].includes(top)) throw new Error(`src/${path}: unknown layer folder`);
  return top;
};

/** What each layer may import (besides itself, packages and Node built-ins). */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  model: [],
  strategies: ['model'],
  operators: ['model', 'strategies'],
  pipeline: ['model', 'strategies', 'operators'],
  sources: ['model', 'strategies'],
  sinks: ['model'],
  entry: ['model', 'strategies', 'operators', 'pipeline', 'sources', 'sinks', 'server'],
  'browser-entry': ['model', 'sinks'],
  cli: ['entry'],
  server: ['entry'],
  browser: ['browser-entry'],
};

const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
});

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)|\brequire\(\s*'([^']+)'\s*\)/g;

/** The relative imports of a file, resolved to files. */
const importsOf = (file: string, text = readFileSync(file, 'utf8')): string[] => {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier === undefined || !specifier.startsWith('.')) continue;
    const base = resolve(dirname(file), specifier.replace(/\.js$/, ''));
    const candidates = [`${base}.ts`, join(base, 'index.ts')];
    const target = candidates.find((candidate) => {
      try {
        return statSync(candidate).isFile();
      } catch {
        return false;
      }
    });
    if (target === undefined) throw new Error(`${relative(SRC, file)}: cannot resolve '${specifier}'`);
    found.push(target);
  }
  return found;
};

/** Every import that breaks the rule, as 'src/a.ts (layer) -> src/b.ts (layer)'. */
const layerViolations = (files: readonly string[] = filesUnder(SRC), read = (file: string) => readFileSync(file, 'utf8')): string[] => files.flatMap((file) => {
  const from = layerOf(file);
  return importsOf(file, read(file))
    .filter((target) => {
      const to = layerOf(target);
      return to !== from && !ALLOWED[from].includes(to);
    })
    .map((target) => `src/${relative(SRC, file)} (${from}) -> src/${relative(SRC, target)} (${layerOf(target)})`);
});

describe('layers', () => {
  it('finds the imports of a file, static, dynamic and re-exports alike', () => {
    const imports = importsOf(join(SRC, 'index.ts')).map((file) => relative(SRC, file));
    expect(imports).toEqual(expect.arrayContaining(['events.ts', 'operators/validate.ts', 'pipeline/dialogue-plugin.ts', 'server/create-dialogue-server.ts']));
  });

  it('names an import that points the wrong way, and accepts one that points the right way', () => {
    const probe = join(SRC, 'operators', 'probe.ts');
    const read = (text: string) => () => text;
    expect(layerViolations([probe], read("import { buildChain } from '../pipeline/chain';"))).toEqual([
      'src/operators/probe.ts (operators) -> src/pipeline/chain.ts (pipeline)',
    ]);
    expect(layerViolations([probe], read("import { cacheKey } from '../strategies/cache-key';\nimport type { ChainEvent } from '../chain-events';"))).toEqual([]);
    const cli = join(SRC, 'cli', 'probe.ts');
    expect(layerViolations([cli], read("export { DialoguePlugin } from '../pipeline/dialogue-plugin';"))).toHaveLength(1);
    expect(layerViolations([cli], read("import { DialoguePlugin } from '../index';"))).toEqual([]);
    const model = join(SRC, 'events.ts');
    expect(layerViolations([model], read("const x = require('./operators/staged');"))).toHaveLength(1);
  });

  it('has every import of src/ pointing one way', () => {
    expect(layerViolations()).toEqual([]);
  });
});
