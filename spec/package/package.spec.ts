/**
 * The package as a user gets it: `npm pack` (its prepack build included), the tarball installed
 * with npm into a fresh folder outside the repository, and used from there: an ES module project,
 * a CommonJS project, a TypeScript project (nodenext, import and require), a browser bundle, and
 * the bin. Only the npm registry is needed.
 *
 * One `npm install` serves every project: sqlite3 (under @keyv/sqlite) builds from source here,
 * most of the two minutes this takes. Each project is its own folder with its own
 * package.json (module type, tsconfig); Node and TypeScript resolve the package from the shared
 * node_modules above them, as in a monorepo.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const REPO = resolve(__dirname, '../..');
const SETUP_MS = 240_000;
const TEST_MS = 60_000;

interface Ran { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/** The environment without what an outer `npm test` sets for its own package (its folder, its scripts). */
const cleanEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([key]) =>
  !/^(INIT_CWD|npm_command|npm_execpath|npm_node_execpath|npm_config_local_prefix|npm_lifecycle_\w+|npm_package_\w+)$/.test(key)));

/** Runs `file args` in `cwd`; resolves with its exit code and output, whatever the code. */
const run = (file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> => new Promise((done) => {
  execFile(file, args, { cwd, env: { ...cleanEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
    const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
    done({ code, stdout, stderr: error !== null && code === null ? `${stderr}\n${error.message}` : stderr });
  });
});

/** Like `run`, but rejects, with the output, unless it exits 0. */
const ok = async (file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> => {
  const ran = await run(file, args, cwd, env);
  if (ran.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${ran.code}\n${ran.stdout.slice(-4000)}\n${ran.stderr.slice(-4000)}`);
  return ran;
};

const write = (path: string, text: string): void => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

const devVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[name];

describe('the packed package', () => {
  let work: string;
  let consumer: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'dialogue-package-'));
    consumer = join(work, 'consumer');
    await ok('npm', ['pack', '--pack-destination', work], REPO);
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error('npm pack wrote no tarball');
    write(join(consumer, 'package.json'), JSON.stringify({
      name: 'consumer', private: true,
      dependencies: { 'dialogue-pipeline': `file:${join(work, tarball)}`, '@types/node': devVersion('@types/node') },
    }));
    // JOBS: node-gyp compiles sqlite3's C++ files in parallel (about 85 s instead of 125 s here).
    await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], consumer, { JOBS: 'max' });
  }, SETUP_MS);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('ships the build and nothing of the repository\'s own (no src, spec, bench, .ci)', () => {
    const installed = join(consumer, 'node_modules', 'dialogue-pipeline');
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'package.json']);
    for (const file of ['dist/index.mjs', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/browser.mjs', 'dist/cli.cjs']) {
      expect(existsSync(join(installed, file))).toBe(true);
    }
  });

  it('answers from an ES module project, one copy of the code for import and require', async () => {
    write(join(consumer, 'esm', 'package.json'), JSON.stringify({ type: 'module' }));
    write(join(consumer, 'esm', 'main.js'), `
      import { createRequire } from 'node:module';
      import { DialoguePlugin, simulatedExpert, memoryCache, ValidationError } from 'dialogue-pipeline';
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', answer: 'Hello from ESM' })], cache: memoryCache() });
      const answer = await plugin.ask('hi');
      const rejected = await plugin.ask(' ').catch((error) => error);
      await plugin.close();
      const required = createRequire(import.meta.url)('dialogue-pipeline');
      console.log(JSON.stringify({ answer, invalid: ValidationError.isInstance(rejected), oneCopy: required.DialoguePlugin === DialoguePlugin }));
    `);
    const { stdout } = await ok(process.execPath, ['main.js'], join(consumer, 'esm'));
    expect(JSON.parse(stdout)).toEqual({ answer: 'Hello from ESM', invalid: true, oneCopy: true });
  }, TEST_MS);

  it('answers from a CommonJS project', async () => {
    write(join(consumer, 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
    write(join(consumer, 'cjs', 'main.js'), `
      const { DialoguePlugin, simulatedExpert, memoryCache, ValidationError } = require('dialogue-pipeline');
      const { fromSSE, toLanes } = require('dialogue-pipeline/browser');
      (async () => {
        const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', answer: 'Hello from CommonJS' })], cache: memoryCache() });
        const answer = await plugin.ask('hi');
        const rejected = await plugin.ask(' ').catch((error) => error);
        await plugin.close();
        const imported = await import('dialogue-pipeline');
        console.log(JSON.stringify({
          answer, invalid: ValidationError.isInstance(rejected), oneCopy: imported.DialoguePlugin === DialoguePlugin,
          browser: [typeof fromSSE, typeof toLanes],
        }));
      })();
    `);
    const { stdout } = await ok(process.execPath, ['main.js'], join(consumer, 'cjs'));
    expect(JSON.parse(stdout)).toEqual({ answer: 'Hello from CommonJS', invalid: true, oneCopy: true, browser: ['function', 'function'] });
  }, TEST_MS);

  it('type-checks a TypeScript project (moduleResolution nodenext) that imports it and requires it', async () => {
    const ts = join(consumer, 'ts');
    write(join(ts, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    write(join(ts, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: ['node'], strict: true, noEmit: true },
      files: ['esm.mts', 'cjs.cts'],
    }));
    write(join(ts, 'esm.mts'), `
      import { DialoguePlugin, simulatedExpert, memoryCache, type PipelineEvent } from 'dialogue-pipeline';
      import { fromSSE, toLanes, type LanesSnapshot } from 'dialogue-pipeline/browser';
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], cache: memoryCache() });
      export const answer: Promise<string> = plugin.ask('hi');
      // @ts-expect-error: ask() resolves with a string
      export const wrong: Promise<number> = plugin.ask('hi');
      export const first = (event: PipelineEvent): string => event.requestId;
      toLanes(fromSSE('/api/dialogue')).subscribe((state: LanesSnapshot) => state.lanes.map((lane) => lane.text));
    `);
    write(join(ts, 'cjs.cts'), `
      import { DialoguePlugin, simulatedExpert, ValidationError } from 'dialogue-pipeline';
      import browser = require('dialogue-pipeline/browser');
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })] });
      export const answer: Promise<string> = plugin.ask('hi').catch((error: unknown) => (ValidationError.isInstance(error) ? error.issues.join() : ''));
      // @ts-expect-error: toLanes takes an Observable of events
      browser.toLanes('not events');
    `);
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await ok(process.execPath, [tsc, '-p', '.', '--explainFiles'], ts);
    // Each style got its own entry: the import condition's .d.mts, the require condition's .d.ts.
    for (const entry of ['dist/index.d.mts', 'dist/src/index.d.ts', 'dist/browser.d.mts', 'dist/src/browser/index.d.ts']) {
      expect(stdout).toContain(`node_modules/dialogue-pipeline/${entry}`);
    }
  }, TEST_MS);

  it('bundles dialogue-pipeline/browser for the browser, imported or required, without Node built-ins', async () => {
    const web = join(consumer, 'web');
    write(join(web, 'import.js'), `import { fromSSE, toLanes } from 'dialogue-pipeline/browser';\ntoLanes(fromSSE('/api/dialogue')).subscribe((s) => { document.title = s.answer; });\n`);
    write(join(web, 'require.js'), `const { fromSSE, toLanes } = require('dialogue-pipeline/browser');\ntoLanes(fromSSE('/api/dialogue')).subscribe((s) => { document.title = s.answer; });\n`);
    for (const entry of ['import.js', 'require.js']) {
      // platform 'browser': an import of a Node built-in (node:crypto, os, ...) fails the build.
      const { metafile } = await build({ entryPoints: [entry], absWorkingDir: web, bundle: true, platform: 'browser', write: false, metafile: true, logLevel: 'silent' });
      const packages = new Set(Object.keys(metafile.inputs).flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []));
      expect([...packages].filter((name) => name !== 'tslib').sort()).toEqual(['dialogue-pipeline', 'rxjs']); // tslib: rxjs's helper
    }
  }, TEST_MS);

  it('runs the dialogue-pipeline bin with plain node: the simulated experts answer, SQLite caches, exit 0', async () => {
    const cwd = join(work, 'cli');
    mkdirSync(cwd);
    const ran = await run(join(consumer, 'node_modules', '.bin', 'dialogue-pipeline'), ['What is a monad?'], cwd);
    expect(ran).toMatchObject({ code: 0 });
    expect(ran.stdout).toMatch(/^\[swift\] \S/m);
    expect(ran.stdout).toMatch(/^Answer \(\d+ ms\):\n\S/m);
    expect(existsSync(join(cwd, 'dialogue-cache.sqlite'))).toBe(true);
  }, TEST_MS);

  it('serves the demo page without esbuild, and its events fold into lanes through the browser entry', async () => {
    write(join(consumer, 'esm', 'serve.js'), `
      import { createRequire } from 'node:module';
      import { createDialogueServer, DialoguePlugin, simulatedExpert } from 'dialogue-pipeline';
      import { fromSSE, toLanes } from 'dialogue-pipeline/browser';
      import { lastValueFrom } from 'rxjs';
      let esbuild = true;
      try { createRequire(import.meta.url).resolve('esbuild'); } catch { esbuild = false; }
      const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a', answer: 'Served' })], cache: false });
      const server = createDialogueServer({ plugin });
      await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
      const base = 'http://127.0.0.1:' + server.address().port;
      const page = await fetch(base + '/');
      const html = await page.text();
      const last = await lastValueFrom(toLanes(fromSSE(base + '/api/dialogue', { body: JSON.stringify({ prompt: 'hi' }), headers: { 'content-type': 'application/json' } })));
      await new Promise((closed) => server.close(closed));
      await plugin.close();
      console.log(JSON.stringify({ esbuild, status: page.status, html, lanes: last.lanes.map((l) => [l.expertId, l.status, l.text]), answer: last.answer, state: last.status }));
    `);
    const { stdout } = await ok(process.execPath, ['serve.js'], join(consumer, 'esm'));
    const { html, ...served } = JSON.parse(stdout) as { html: string };
    expect(served).toEqual({ esbuild: false, status: 200, lanes: [['a', 'ok', 'Served']], answer: 'Served', state: 'complete' });
    const prebuilt = readFileSync(join(consumer, 'node_modules/dialogue-pipeline/dist/src/server/demo/demo-script.js'), 'utf8');
    expect(html).toContain(`<script>${prebuilt}</script>`);
  }, TEST_MS);
});
