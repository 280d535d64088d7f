/** Wraps failures of coordination steps; the error class itself lives in src/errors.ts with the others. */
import { CoordinationError, type CoordinationOperation } from '../../errors';

export { CoordinationError, type CoordinationOperation };

/** `error` as a CoordinationError of `operation` (kept as it is when it already is one). */
export const coordinationError = (operation: CoordinationOperation, error: unknown): CoordinationError =>
  CoordinationError.isInstance(error)
    ? error
    : new CoordinationError(operation, `coordination ${operation} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
