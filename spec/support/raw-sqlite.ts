/** A second, independent connection to a SQLite file, for tests that look behind the cache. */
import { Database } from 'sqlite3';

/** Opens `file` with the sqlite3 driver directly. */
export const openRaw = async (file: string) => {
  const db = await new Promise<Database>((resolve, reject) => {
    const opened: Database = new Database(file, (error) => (error ? reject(error) : resolve(opened)));
  });
  return {
    all: (sql: string, ...params: unknown[]) =>
      new Promise<Array<Record<string, unknown>>>((resolve, reject) =>
        db.all(sql, params, (error: Error | null, rows: Array<Record<string, unknown>>) => (error ? reject(error) : resolve(rows))),
      ),
    close: () => new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
  };
};
