/**
 * The demo page's script: `browser/main.ts` (with RxJS, eventsource-parser and the library's
 * browser entry) bundled by esbuild's JS API into one minified IIFE.
 *
 * - From the built package (dist/): `npm run build` writes the script next to this module
 *   (`DEMO_SCRIPT_FILE`), so an installed package serves it without esbuild.
 * - From the TypeScript source (tsx, ts-jest): there is no such file; the source is bundled in
 *   memory, with esbuild (a devDependency) loaded lazily with `require`.
 *
 * `demoBundle()` loads once per process, on first use, and keeps the result (also a failure,
 * which the page then explains).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';

/** The bundled script, or why there is none. */
export type DemoBundle =
  | { readonly kind: 'script'; readonly code: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Loads esbuild's JS API; throws when it is not installed. */
export type LoadEsbuild = () => Pick<typeof Esbuild, 'build'>;

const loadEsbuild: LoadEsbuild = () => require('esbuild') as typeof Esbuild;

/** The prebuilt script's file name, next to the compiled module in dist/ (written by `npm run build`). */
export const DEMO_SCRIPT_FILE = 'demo-script.js';

/** The entry point: the TypeScript source when present (tsx, ts-jest), else its compiled JavaScript (dist/). */
export const demoEntryPoint = (): string => {
  const source = join(__dirname, 'browser', 'main.ts');
  return existsSync(source) ? source : join(__dirname, 'browser', 'main.js');
};

const NO_ESBUILD = 'The demo page\'s script was not built with the package, and bundling it now needs esbuild, a dev dependency: '
  + 'run npm run build, or install the dev dependencies (npm ci, without --omit=dev).';
const BUILD_FAILED = 'The demo page\'s script could not be built.';

/** A script for the page, unless it is empty or could end the inline <script> element early (esbuild escapes these; checked anyway). */
const asScript = (code: string): DemoBundle =>
  code === '' || /<\/script|<!--/i.test(code) ? { kind: 'unavailable', reason: BUILD_FAILED } : { kind: 'script', code };

/** Bundles the page's script (`entryPoint`) with `load`ed esbuild. Never rejects: a failure is `unavailable`. */
export const buildDemoBundle = async (load: LoadEsbuild = loadEsbuild, entryPoint = demoEntryPoint()): Promise<DemoBundle> => {
  let esbuild: Pick<typeof Esbuild, 'build'>;
  try {
    esbuild = load();
  } catch {
    return { kind: 'unavailable', reason: NO_ESBUILD };
  }
  try {
    const result = await esbuild.build({
      entryPoints: [entryPoint],
      bundle: true, format: 'iife', write: false, minify: true, target: 'es2020', platform: 'browser',
      logLevel: 'silent', legalComments: 'none',
    });
    return asScript(result.outputFiles[0]?.text ?? '');
  } catch {
    return { kind: 'unavailable', reason: BUILD_FAILED };
  }
};

/** Where {@link loadDemoBundle} looks: the folder holding a prebuilt script, and how to load esbuild otherwise. */
export interface DemoBundleSource {
  readonly dir?: string;
  readonly load?: LoadEsbuild;
}

/** The prebuilt script in `dir` when there is one, else the source bundled now. Never rejects. */
export const loadDemoBundle = async ({ dir = __dirname, load = loadEsbuild }: DemoBundleSource = {}): Promise<DemoBundle> => {
  let code: string;
  try {
    code = await readFile(join(dir, DEMO_SCRIPT_FILE), 'utf8');
  } catch {
    return buildDemoBundle(load);
  }
  return asScript(code);
};

let cached: Promise<DemoBundle> | undefined;

/** The bundle, loaded on the first call and then kept in memory for the life of the process. */
export const demoBundle = (): Promise<DemoBundle> => (cached ??= loadDemoBundle());
