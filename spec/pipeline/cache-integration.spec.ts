/** The plugin with real and faulty cache stores: hits across restarts, corrupt records, failing and hanging stores. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, NEVER, throwError, toArray } from 'rxjs';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { CacheEvent, PipelineEvent } from '../../src/events';
import type { ResponseCache } from '../../src/ports';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { sqliteCache } from '../../src/sources/sqlite-cache';
import { openRaw } from '../support/raw-sqlite';

const experts = () => [simulatedExpert({ id: 'a', answer: 'the cached answer' }), simulatedExpert({ id: 'b', answer: 'the other answer' })];
const run = (plugin: DialoguePlugin, prompt: string): Promise<PipelineEvent[]> => lastValueFrom(plugin.process(prompt).pipe(toArray()));
const cacheEventOf = (events: PipelineEvent[]) => events.find((e): e is CacheEvent => e.type === 'cache');
const last = (events: PipelineEvent[]) => events[events.length - 1];

describe('DialoguePlugin with cache stores', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-cache-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('hits a real SQLite file after the plugin and the file are closed and reopened', async () => {
    const file = path.join(dir, 'cache.sqlite');
    const first = new DialoguePlugin({ experts: experts(), cache: sqliteCache(file) });
    expect(cacheEventOf(await run(first, 'remember me'))?.hit).toBe(false);
    await first.close();
    const reopened = experts();
    const second = new DialoguePlugin({ experts: reopened, cache: sqliteCache(file) });
    const events = await run(second, 'remember me');
    expect(cacheEventOf(events)?.hit).toBe(true);
    expect(last(events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: true, text: 'the cached answer' }));
    expect(reopened.map((e) => e.stats.started)).toEqual([0, 0]);
    await second.close();
  });

  it.each([
    ['malformed JSON', 'not json at all{'],
    ['a record of the wrong shape', JSON.stringify({ value: { text: 7 }, expires: null })],
  ])('treats %s as a miss, deletes it, completes, and stores a good record again', async (_name, garbage) => {
    const file = path.join(dir, 'cache.sqlite');
    const reports: unknown[] = [];
    const plugin = new DialoguePlugin({ experts: experts(), cache: sqliteCache(file), onSystemError: (error) => reports.push(error) });
    const key = cacheEventOf(await run(plugin, 'corrupt me'))!.key;
    const raw = await openRaw(file);
    await raw.all('UPDATE cache SET value = ? WHERE key LIKE ?', garbage, `%${key}`);
    const events = await run(plugin, 'corrupt me');
    expect(cacheEventOf(events)?.hit).toBe(false);
    expect(last(events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
    expect(reports).toEqual([expect.objectContaining({ _tag: 'CacheError', operation: 'decode' })]);
    await plugin.close();
    const rows = await raw.all('SELECT value FROM cache WHERE key LIKE ?', `%${key}`);
    await raw.close();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].value as string).value).toEqual(expect.objectContaining({ text: 'the cached answer' }));
  });

  it('treats a store whose get and set throw as a miss and still completes', async () => {
    const reports: unknown[] = [];
    const broken: ResponseCache = {
      get: () => throwError(() => new Error('disk on fire')),
      set: () => throwError(() => new Error('disk still on fire')),
      close: async () => undefined,
    };
    const plugin = new DialoguePlugin({ experts: experts(), cache: broken, onSystemError: (error, context) => reports.push(context.stage) });
    const events = await run(plugin, 'anyway');
    expect(cacheEventOf(events)?.hit).toBe(false);
    expect(last(events)).toEqual(expect.objectContaining({ type: 'complete', text: 'the cached answer' }));
    await plugin.close();
    expect(reports).toEqual(['cache', 'cache-write']);
  });

  it('treats a store that hangs as a miss after timeouts.cacheMs and still completes', async () => {
    const hanging: ResponseCache = { get: () => NEVER, set: () => NEVER, close: async () => undefined };
    const plugin = new DialoguePlugin({ experts: experts(), cache: hanging, timeouts: { cacheMs: 5 } });
    const events = await run(plugin, 'slowly');
    expect(cacheEventOf(events)?.hit).toBe(false);
    expect(last(events).type).toBe('complete');
    plugin.cancelAll();
  });
});

describe('DialoguePlugin with a SQLite file that goes bad', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-bad-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const metricsOf = (events: PipelineEvent[]) => (events.find((e) => e.type === 'metrics') as { metrics: { cacheFault?: string } }).metrics;

  it('completes with a cache miss, counted in the metrics, while another connection holds the file locked', async () => {
    const file = path.join(dir, 'cache.sqlite');
    const first = new DialoguePlugin({ experts: experts(), cache: sqliteCache(file) });
    await run(first, 'warm up');
    await first.close();
    // In WAL mode readers are not blocked by a writer; an exclusive locking mode shuts everyone else out.
    const locker = await openRaw(file);
    await locker.all('PRAGMA locking_mode=EXCLUSIVE');
    await locker.all('BEGIN EXCLUSIVE');
    await locker.all('SELECT count(*) FROM cache');
    const plugin = new DialoguePlugin({ experts: experts(), cache: sqliteCache(file, { busyTimeoutMs: 200 }), timeouts: { cacheMs: 50 } });
    const events = await run(plugin, 'warm up');
    expect(cacheEventOf(events)?.hit).toBe(false);
    expect(last(events)).toEqual(expect.objectContaining({ type: 'complete', fromCache: false, text: 'the cached answer' }));
    expect(metricsOf(events).cacheFault).toBe('timeout');
    await locker.all('ROLLBACK');
    await locker.close();
    await plugin.close();
  });

  it('completes with a cache miss, counted in the metrics, when the file is not a database', async () => {
    const file = path.join(dir, 'cache.sqlite');
    fs.writeFileSync(file, 'this is not a sqlite database, just text that fills a page '.repeat(100));
    const reports: unknown[] = [];
    const plugin = new DialoguePlugin({ experts: experts(), cache: sqliteCache(file), onSystemError: (error) => reports.push(error) });
    const events = await run(plugin, 'anyway');
    expect(cacheEventOf(events)?.hit).toBe(false);
    expect(last(events)).toEqual(expect.objectContaining({ type: 'complete' }));
    expect(metricsOf(events).cacheFault).toBe('error');
    expect(reports[0]).toEqual(expect.objectContaining({ _tag: 'CacheError', operation: 'get' }));
    await plugin.close();
  });
});
