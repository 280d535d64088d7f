/** Subscribes and records what a synchronous Observable emits, and how it ended, by the time subscribe returns. */
import type { Observable } from 'rxjs';

/** Values, the error (if any) and whether it completed, all synchronously. */
export const collectSync = <T>(source$: Observable<T>): { values: T[]; error: unknown; completed: boolean } => {
  const values: T[] = [];
  let error: unknown;
  let completed = false;
  source$.subscribe({ next: (v) => values.push(v), error: (e: unknown) => { error = e; }, complete: () => { completed = true; } });
  return { values, error, completed };
};
