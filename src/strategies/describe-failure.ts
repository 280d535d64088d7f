/** Short, safe descriptions of failures for events: never a provider body, a URL or a stack. */
import { ExpertError, TimeoutError } from '../errors';

/** 'HTTP 503', 'timeout (idle)', 'network', ... */
export const describeFailure = (error: unknown): string => {
  if (TimeoutError.isInstance(error)) return `timeout (${error.phase})`;
  if (ExpertError.isInstance(error)) return error.status === undefined ? error.failure : `HTTP ${error.status}`;
  return 'error';
};
