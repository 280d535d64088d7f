/**
 * `toLanes(events$)`: a request's events as the states a UI draws, one lane per expert and the
 * fused answer (see `foldLanes` for what each event does).
 *
 *     events$:  s-p-t-t-r-t-x-m-c|      (start, plan, tokens, retry, expert, metrics, complete)
 *     toLanes:  a-b-c-d-e-f-g-h-i|      one new snapshot per event that changes something
 */
import { distinctUntilChanged, scan, type Observable } from 'rxjs';
import type { PipelineEvent } from '../events';
import { EMPTY_LANES, foldLanes, type LanesSnapshot } from './fold-lanes';

/**
 * Emits the request's state after each event that changes it (a cache miss changes nothing),
 * as frozen snapshots that share what did not change. Completes and errors with `events$`;
 * unsubscribing unsubscribes from `events$` (for `fromSSE`: closes the connection).
 */
export const toLanes = (events$: Observable<PipelineEvent>): Observable<LanesSnapshot> =>
  events$.pipe(scan(foldLanes, EMPTY_LANES), distinctUntilChanged());
