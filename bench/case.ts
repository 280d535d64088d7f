/**
 * One case, one implementation, in this (fresh) process; prints its result as one JSON line.
 *
 *     node --expose-gc --import tsx bench/case.ts <case> <pipeline|baseline> [--budget ms] [--warmup n] [--warmup-ms ms] [--profile file.cpuprofile]
 *
 * `--profile` samples the CPU (every 100 us) from after module loading to the end of the case.
 */
import { cacheHitCase } from './cases/cache-hit';
import { cancelCase } from './cases/cancel';
import { inFlightCase } from './cases/in-flight';
import { fanOutCase, type FanOutOptions } from './cases/fan-out';
import { guardLatencyCase } from './cases/guard-latency';
import { perTokenCase } from './cases/per-token';
import type { Impl } from './impls';
import type { Effort } from './measure';
import { startProfile } from './profile';
import type { CaseResult } from './result';

/** Every case name and how to run it. */
export const CASES: Record<string, (impl: Impl, effort: Effort) => Promise<CaseResult>> = {};

const fanOut = (name: string, options: FanOutOptions): void => {
  CASES[name] = (impl, effort) => fanOutCase(name, impl, options, effort);
};
fanOut('a-seq', { concurrency: 1, tokenMode: 'sync', cache: true, guard: 'default' });
fanOut('a-64', { concurrency: 64, tokenMode: 'sync', cache: true, guard: 'default' });
fanOut('a-seq-nocache', { concurrency: 1, tokenMode: 'sync', cache: false, guard: 'default' });
fanOut('a-seq-microtask', { concurrency: 1, tokenMode: 'microtask', cache: true, guard: 'default' });
fanOut('a-64-microtask', { concurrency: 64, tokenMode: 'microtask', cache: true, guard: 'default' });
fanOut('a-seq-noguard', { concurrency: 1, tokenMode: 'sync', cache: true, guard: 'none' });
// The floor comparisons (issue targets): tokens from async generators on both sides, no guard.
fanOut('floor-fan-out', { concurrency: 1, tokenMode: 'async', cache: true, guard: 'none' });
fanOut('floor-fan-out-first', { concurrency: 1, tokenMode: 'async', cache: true, guard: 'none', fusion: 'first' });
CASES['floor-per-token'] = (impl, effort) => perTokenCase('floor-per-token', impl, 'none', effort, 'async');
// Diagnostic: the same without the cache (the cost of keeping each 60 KB answer in memory shows as the difference).
CASES['floor-per-token-nocache'] = (impl, effort) => perTokenCase('floor-per-token-nocache', impl, 'none', effort, 'async', false);
CASES['f-in-flight'] = (impl, effort) => inFlightCase('f-in-flight', impl, effort);
CASES['i-cache-hit'] = (impl, effort) => cacheHitCase('i-cache-hit', impl, effort);
CASES['b-per-token'] = (impl, effort) => perTokenCase('b-per-token', impl, 'default', effort);
CASES['b-per-token-noguard'] = (impl, effort) => perTokenCase('b-per-token-noguard', impl, 'none', effort);
CASES['c-between'] = (impl, effort) => cancelCase('c-between', impl, 'between', effort);
CASES['c-inside'] = (impl, effort) => cancelCase('c-inside', impl, 'inside', effort);
CASES['d-guard-latency'] = (impl, effort) => guardLatencyCase('d-guard-latency', impl, effort);
// Loaded on demand: it brings the Redis client and the replica driver, which the other cases' processes need not load.
CASES['e-scale-out'] = async (impl, effort) => (await import('./cases/scale-out.js')).scaleOutCase('e-scale-out', impl, effort);

const flag = (args: readonly string[], name: string, fallback: number): number => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} needs a number`);
  return value;
};

const main = async (): Promise<void> => {
  const [name, impl, ...rest] = process.argv.slice(2);
  const run = name === undefined ? undefined : CASES[name];
  if (run === undefined || (impl !== 'pipeline' && impl !== 'baseline' && impl !== 'floor')) {
    throw new Error(`usage: bench/case.ts <${Object.keys(CASES).join('|')}> <pipeline|baseline|floor> [--budget ms] [--warmup n] [--warmup-ms ms]`);
  }
  const profileAt = rest.indexOf('--profile');
  const stopProfile = profileAt < 0 ? undefined : await startProfile();
  const result = await run(impl, { budgetMs: flag(rest, '--budget', 3000), warmup: flag(rest, '--warmup', 200), warmupMs: flag(rest, '--warmup-ms', 1000) });
  if (stopProfile !== undefined) await stopProfile(rest[profileAt + 1] ?? 'case.cpuprofile');
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ ...result, processCpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
};

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
