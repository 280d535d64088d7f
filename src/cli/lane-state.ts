/**
 * What the live view shows: one lane per token source (each expert of the plan, then `fusion`
 * or `cache` when they stream), folded from the events by a pure reducer.
 */
import type { PipelineEvent } from '../index';

/** Where a lane is. `cancelled` also covers sources still running when the request ended. */
export type LaneStatus = 'waiting' | 'streaming' | 'retrying' | 'done' | 'failed' | 'cancelled';

/** One source's lane: its text so far and a short note (retry details, failure). */
export interface Lane {
  readonly id: string;
  readonly status: LaneStatus;
  readonly text: string;
  readonly note: string;
}

/** The lanes, in plan order. */
export type Lanes = readonly Lane[];

/** A lane that is still running. */
export const isActive = (lane: Lane): boolean =>
  lane.status === 'waiting' || lane.status === 'streaming' || lane.status === 'retrying';

const lane = (id: string): Lane => ({ id, status: 'waiting', text: '', note: '' });

/** Applies `change` to the lane `id`, adding that lane at the end first if it is new. */
const update = (lanes: Lanes, id: string, change: (lane: Lane) => Lane): Lanes =>
  lanes.some((l) => l.id === id) ? lanes.map((l) => (l.id === id ? change(l) : l)) : [...lanes, change(lane(id))];

const endActive = (lanes: Lanes, status: LaneStatus): Lanes =>
  lanes.map((l) => (isActive(l) ? { ...l, status } : l));

/**
 * The lanes after `event`:
 * - `plan`: one waiting lane per task; a `cache` hit replaces them with one `cache` lane;
 * - `token`: appends to its source's lane (created if new), which is then streaming;
 * - `retry`: the lane is retrying, with a note; `discard` clears its text;
 * - `expert`: the lane is done, failed or cancelled, with the error as note;
 * - terminal events end the lanes still running: `fusion` and `cache` lanes are done on
 *   `complete`, every other running lane is cancelled.
 */
export const reduceLanes = (lanes: Lanes, event: PipelineEvent): Lanes => {
  switch (event.type) {
    case 'plan':
      return event.plan.tasks.map((task) => lane(task.expertId));
    case 'cache':
      return event.hit ? [lane('cache')] : lanes;
    case 'token':
      return update(lanes, event.source, (l) => ({ ...l, status: 'streaming', text: l.text + event.text, note: '' }));
    case 'retry':
      return update(lanes, event.source, (l) => ({
        ...l,
        status: 'retrying',
        text: event.discard ? '' : l.text,
        note: `retry ${event.attempt}/${event.maxRetries} in ${event.delayMs} ms: ${event.reason}`,
      }));
    case 'expert':
      return update(lanes, event.expertId, (l) => ({
        ...l,
        status: event.outcome === 'ok' ? 'done' : event.outcome,
        note: event.error ?? '',
      }));
    case 'complete':
      return endActive(lanes.map((l) => (isActive(l) && (l.id === 'fusion' || l.id === 'cache') ? { ...l, status: 'done' } : l)), 'cancelled');
    case 'cancelled':
    case 'error':
      return endActive(lanes, 'cancelled');
    default:
      return lanes;
  }
};
