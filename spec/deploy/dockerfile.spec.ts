/**
 * deploy/Dockerfile, read statically (no Docker engine here) and checked against the server:
 * the build runs `npm ci` and `npm run build`, the runtime stage holds production dependencies
 * and dist/ only, as a numeric non-root user; its entrypoint is a file the build writes and its
 * arguments and ENV parse as `serve` options on the exposed port; its HEALTHCHECK command,
 * run as is, passes against a live server's /healthz and fails without one.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { parseServeArgs } from '../../src/cli/serve/serve-args';
import { STOP_SIGNALS } from '../../src/cli/serve/stop-on-signals';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { startDialogueServer } from '../server/server-fixtures';
import { deployText, dockerStages, envPairs, execForm, ROOT, type Stage } from './deploy-files';

const stages = dockerStages(deployText('Dockerfile'));
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found;
};
const args = (s: Stage, keyword: string): string[] => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (s: Stage, keyword: string): string => {
  const found = args(s, keyword).at(-1);
  if (found === undefined) throw new Error(`no ${keyword} in stage ${s.name}`);
  return found;
};
const runtime = stages.at(-1)!;
const build = stage('build');
const env = (): Record<string, string> => Object.assign({}, ...args(runtime, 'ENV').map(envPairs));
const entrypoint = (): string[] => execForm(last(runtime, 'ENTRYPOINT'));

/** Runs `argv` (an exec-form command) with `extraEnv`; resolves with its exit code. */
const exitCode = (argv: readonly string[], extraEnv: Record<string, string>): Promise<number | null> => new Promise((resolve, reject) => {
  const [command, ...rest] = argv;
  const child = spawn(command === 'node' ? process.execPath : command, rest, { env: { ...process.env, ...extraEnv }, stdio: 'ignore' });
  child.once('error', reject);
  child.once('exit', (code) => resolve(code));
});

describe('deploy/Dockerfile', () => {
  it('builds with npm ci and npm run build, in a stage of its own, from the lockfile', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const runs = args(build, 'RUN').join('\n');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b/);
    expect(args(build, 'COPY')[0]).toBe('package.json package-lock.json ./');
  });

  it('copies from the build context only files that exist and that Dockerfile.dockerignore lets through', () => {
    const sources = args(build, 'COPY').flatMap((copy) => copy.split(/\s+/).slice(0, -1));
    expect(sources.filter((source) => !existsSync(path.join(ROOT, source)))).toEqual([]);
    const ignore = deployText('Dockerfile.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = new Set(ignore.slice(1).map((line) => line.replace(/^!/, '').replace(/\/$/, '')));
    expect(sources.map((source) => source.replace(/\/$/, '')).filter((source) => !allowed.has(source))).toEqual([]);
  });

  it('runs with production dependencies and dist/ only: no sources, no dev dependencies', () => {
    expect(args(build, 'RUN').join('\n')).toMatch(/npm prune --omit=dev/);
    expect(args(runtime, 'RUN').join('\n')).not.toMatch(/\bnpm\b/);
    const copies = args(runtime, 'COPY').map((copy) => copy.split(/\s+/));
    expect(copies.map((parts) => parts.filter((part) => !part.startsWith('--')))).toEqual([
      ['/app/package.json', './package.json'], ['/app/node_modules', './node_modules'], ['/app/dist', './dist'],
    ]);
    expect(copies.every((parts) => parts.includes('--from=build'))).toBe(true);
  });

  it('loads no package at run time that is not a production dependency (esbuild only when the demo script is missing)', () => {
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s*'([^']+)'|\brequire\(\s*'([^']+)'\s*\)|\bimport\(\s*'([^']+)'\s*\)/g)]
        .map((match) => match[1] ?? match[2] ?? match[3]);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.')) {
          const base = path.resolve(path.dirname(file), specifier);
          visit([`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate))!);
        } else {
          packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
        }
      }
    };
    visit(path.join(ROOT, 'src/cli/serve.ts'));
    const builtins = new Set(builtinModules);
    const outside = [...packages].filter((name) => !(name in dependencies) && !builtins.has(name.replace(/^node:/, '')));
    expect(outside).toEqual(['esbuild']);
    expect(seen.size).toBeGreaterThan(50);
  });

  it('starts dist/src/cli/serve.js, which npm run build compiles from src/cli/serve.ts, listening on all interfaces on the exposed port', () => {
    const [node, script, ...flags] = entrypoint();
    expect(node).toBe('node');
    const workdirs = args(runtime, 'WORKDIR');
    expect(workdirs[0]).toBe('/app');
    expect(script.startsWith('/app/dist/')).toBe(true);
    expect(existsSync(path.join(ROOT, script.slice('/app/dist/'.length).replace(/\.js$/, '.ts')))).toBe(true);
    expect(execForm(last(runtime, 'CMD'))).toEqual([]);
    const parsed = parseServeArgs(flags, env());
    expect(parsed).toEqual({ kind: 'run', options: expect.objectContaining({ host: '0.0.0.0', port: Number(last(runtime, 'EXPOSE')) }) });
    expect(parseServeArgs([...flags, '--no-cache'], env())).toEqual({ kind: 'run', options: expect.objectContaining({ host: '0.0.0.0', cacheFile: false }) });
  });

  it('runs as a numeric non-root user, in a working folder of its own, and stops on a signal the server handles', () => {
    const user = last(runtime, 'USER');
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(last(runtime, 'WORKDIR')).toBe('/data');
    expect(args(runtime, 'RUN').join('\n')).toContain(`chown ${user} /data`);
    expect(STOP_SIGNALS).toContain(last(runtime, 'STOPSIGNAL'));
  });

  it('has a HEALTHCHECK that passes against a live server\'s /healthz and fails once nothing answers', async () => {
    const healthcheck = last(runtime, 'HEALTHCHECK');
    const [, options = '', command = ''] = /^((?:--\S+\s+)*)CMD\s+(.*)$/s.exec(healthcheck) ?? [];
    expect(options).toMatch(/--timeout=\d+s/);
    const argv = execForm(command);
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(argv[2]).toContain('/healthz');
    const running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { apiKey: 'secret' });
    try {
      expect(await exitCode(argv, { PORT: String(running.port) })).toBe(0);
    } finally {
      await running.close();
    }
    expect(await exitCode(argv, { PORT: String(running.port) })).toBe(1);
  });
});
