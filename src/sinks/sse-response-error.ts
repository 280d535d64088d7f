/** The error `fromSSE` raises when the server does not answer with an event stream. */

const MARKER: unique symbol = Symbol.for('dialogue-pipeline.error.SSEResponseError');

/**
 * The SSE endpoint answered with a non-2xx `status`, or not with `text/event-stream`. Carries
 * the status only, never the response body (which may hold details meant for the server's logs).
 */
export class SSEResponseError extends Error {
  readonly _tag = 'SSEResponseError' as const;
  readonly [MARKER] = true;
  constructor(readonly status: number, message = `SSE request failed with HTTP ${status}`) {
    super(message);
    this.name = 'SSEResponseError';
  }
  /** True for an SSEResponseError from any copy of this package. */
  static isInstance(error: unknown): error is SSEResponseError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
