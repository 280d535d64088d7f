/** The error of a failed coordination step (Redis unreachable, slow, or a broken log). */

const COORDINATION: unique symbol = Symbol.for('dialogue-pipeline.error.CoordinationError');

/** What the coordinator was doing when it failed. */
export type CoordinationOperation = 'connect' | 'claim' | 'renew' | 'append' | 'release' | 'read' | 'decode' | 'lost' | 'publish' | 'subscribe' | 'close';

/** A coordination step failed; the pipeline falls back to running the request here. */
export class CoordinationError extends Error {
  readonly _tag = 'CoordinationError' as const;
  readonly [COORDINATION] = true;
  constructor(readonly operation: CoordinationOperation, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoordinationError';
  }
  /** True for a CoordinationError from any copy of this package. */
  static isInstance(error: unknown): error is CoordinationError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[COORDINATION] === true;
  }
}

/** `error` as a CoordinationError of `operation` (kept as it is when it already is one). */
export const coordinationError = (operation: CoordinationOperation, error: unknown): CoordinationError =>
  CoordinationError.isInstance(error)
    ? error
    : new CoordinationError(operation, `coordination ${operation} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
