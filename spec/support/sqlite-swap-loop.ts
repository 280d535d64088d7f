/**
 * Run as a child process by the sqliteCache spec: `rounds` times, one cache has its file deleted
 * or renamed over while it holds it open, with writes in flight, then reads every write back
 * after a restart. Prints `ok <rounds>` and exits 0, or prints what went wrong and exits 1; a
 * handle that touched shared memory truncated under it kills the process with SIGBUS instead.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { sqliteCache } from '../../src/sources/sqlite-cache';

const answer = (text: string) => ({ text: text.padEnd(3000, '.'), createdAt: 1_700_000_000_000, planId: 'plan-1' });
const keys = (prefix: string) => Array.from({ length: 20 }, (_, i) => `${prefix}${i}`);
const writeAll = (cache: ReturnType<typeof sqliteCache>, names: string[]) =>
  Promise.all(names.map((key) => lastValueFrom(cache.set(key, answer(key)))));

const round = async (round: number): Promise<void> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-swap-'));
  const file = path.join(dir, 'cache.db');
  try {
    const cache = sqliteCache(file, { namespace: 'ns', onError: () => undefined });
    await writeAll(cache, keys('before'));
    if (round % 2 === 0) {
      const other = sqliteCache(path.join(dir, 'other.db'), { namespace: 'ns' });
      await lastValueFrom(other.set('other', answer('other')));
      await other.close();
      fs.renameSync(path.join(dir, 'other.db'), file);
    } else {
      fs.rmSync(file);
    }
    await writeAll(cache, keys('after'));
    await cache.close();
    const reopened = sqliteCache(file, { namespace: 'ns' });
    const texts = await Promise.all(keys('after').map(async (key) => (await firstValueFrom(reopened.get(key)))?.text));
    await reopened.close();
    const lost = keys('after').filter((key, i) => texts[i] !== answer(key).text);
    if (lost.length > 0) throw new Error(`round ${round}: lost ${lost.join(', ')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

const main = async (rounds: number): Promise<void> => {
  for (let i = 0; i < rounds; i++) await round(i);
  console.log(`ok ${rounds}`);
};

main(Number(process.argv[2])).catch((error: unknown) => {
  console.log(String(error));
  process.exitCode = 1;
});
