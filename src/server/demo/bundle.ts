/**
 * The demo page's script: `browser/main.ts` (with RxJS and the library's `fromSSE`) bundled by
 * esbuild's JS API into one minified IIFE, in memory. esbuild is a devDependency (it comes with
 * tsx), so it is loaded only here, lazily, with `require`: the library itself never needs it.
 * `demoBundle()` builds once per process, on first use, and keeps the result (also a failure,
 * which the page then explains).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';

/** The bundled script, or why there is none. */
export type DemoBundle =
  | { readonly kind: 'script'; readonly code: string }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Loads esbuild's JS API; throws when it is not installed. */
export type LoadEsbuild = () => Pick<typeof Esbuild, 'build'>;

const loadEsbuild: LoadEsbuild = () => require('esbuild') as typeof Esbuild;

/** The entry point: the TypeScript source when present (tsx, ts-jest), else its compiled JavaScript (dist/). */
export const demoEntryPoint = (): string => {
  const source = join(__dirname, 'browser', 'main.ts');
  return existsSync(source) ? source : join(__dirname, 'browser', 'main.js');
};

const NO_ESBUILD = 'The demo page needs esbuild, a dev dependency: install the dev dependencies (npm ci, without --omit=dev).';
const BUILD_FAILED = 'The demo page\'s script could not be built.';

/** Bundles the page's script with `load`ed esbuild. Never rejects: a failure is `unavailable`. */
export const buildDemoBundle = async (load: LoadEsbuild = loadEsbuild): Promise<DemoBundle> => {
  let esbuild: Pick<typeof Esbuild, 'build'>;
  try {
    esbuild = load();
  } catch {
    return { kind: 'unavailable', reason: NO_ESBUILD };
  }
  try {
    const result = await esbuild.build({
      entryPoints: [demoEntryPoint()],
      bundle: true, format: 'iife', write: false, minify: true, target: 'es2020', platform: 'browser',
      logLevel: 'silent', legalComments: 'none',
    });
    const code = result.outputFiles[0]?.text ?? '';
    // Inlined in a <script> element: these would end it early (esbuild escapes them; checked anyway).
    if (code === '' || /<\/script|<!--/i.test(code)) return { kind: 'unavailable', reason: BUILD_FAILED };
    return { kind: 'script', code };
  } catch {
    return { kind: 'unavailable', reason: BUILD_FAILED };
  }
};

let cached: Promise<DemoBundle> | undefined;

/** The bundle, built on the first call and then kept in memory for the life of the process. */
export const demoBundle = (): Promise<DemoBundle> => (cached ??= buildDemoBundle());
