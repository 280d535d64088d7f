/**
 * Internal hand-off events: each stage consumes the one it owns and emits the next, so a cache
 * hit skips fan-out and fusion with no branching in the chain. They never reach the caller.
 */
import type { PipelineEvent } from '../events';
import type { Job } from './job';

/** The internal hand-offs, in pipeline order. */
export type HandoffType = 'request' | 'validated' | 'planned' | 'execute' | 'answers' | 'answer' | 'guarded';

/** A hand-off between two stages, carrying the job. */
export interface Handoff<T extends HandoffType = HandoffType> { readonly type: T; readonly requestId: string; readonly job: Job }

/** What flows through the chain: public events and internal hand-offs. */
export type StageEvent = PipelineEvent | { [T in HandoffType]: Handoff<T> }[HandoffType];

/** A hand-off of the given type for a job. */
export const handoff = <T extends HandoffType>(type: T, job: Job): Handoff<T> => ({ type, requestId: job.requestId, job });

/** The event of the given type within the stage-event union. */
export type EventOf<T extends StageEvent['type']> = Extract<StageEvent, { type: T }>;
