/**
 * One shared execution for identical requests in flight at the same time (single flight).
 * The first participant starts the work; a participant joining later first gets every event
 * so far, then the rest live; each participant leaves alone, and the work stops when the last
 * one leaves. Events are re-stamped with each participant's own requestId, and the `answer`
 * hand-off is handed over to the participant's own job.
 *
 * A late joiner is caught up with each expert's text so far as ONE token (the current
 * attempt's, kept by the expert run in the shared metrics record), then the other events so
 * far (fusion tokens, expert ends, status) in order. So the flight keeps nothing per expert
 * token; the other events stop being kept at `maxLogEvents`, and the flight then takes no new
 * participants.
 */
import { Observable, type Subscription } from 'rxjs';
import type { Job } from './job';
import { handoff, type StageEvent } from './stage-events';

/** Where a participant's events go. */
interface Sink { next(event: StageEvent): void; error(error: unknown): void; complete(): void }

/** Most non-token events a flight keeps for late joiners. */
export const MAX_FLIGHT_LOG_EVENTS = 1_000;

/** A shared execution keyed by the cache key. */
export class Flight {
  private log: StageEvent[] | undefined = [];
  private participants: readonly Sink[] = [];
  private upstream: Subscription | undefined;
  private ended = false;

  constructor(private readonly leader: Job, private readonly work$: Observable<StageEvent>, private readonly onEnd: () => void,
    private readonly maxLogEvents = MAX_FLIGHT_LOG_EVENTS) {}

  /** False once the flight has ended or its log is full. */
  joinable(): boolean {
    return !this.ended && this.log !== undefined;
  }

  /** The flight's events for `job`: everything so far, then live. */
  join(job: Job): Observable<StageEvent> {
    return new Observable<StageEvent>((subscriber) => {
      const participant = job === this.leader ? subscriber : restamped(subscriber, job, this.leader);
      job.metrics.adoptExperts(this.leader.metrics);
      this.catchUp(participant);
      this.participants = [...this.participants, participant];
      if (this.upstream === undefined) this.start();
      return () => this.leave(participant);
    });
  }

  private start(): void {
    this.upstream = this.work$.subscribe({
      next: (event) => {
        if (this.log !== undefined) this.remember(event);
        const current = this.participants;
        for (let i = 0; i < current.length; i++) current[i].next(event);
      },
      error: (error: unknown) => this.end((participant) => participant.error(error)),
      complete: () => this.end((participant) => participant.complete()),
    });
  }

  /** Keeps what a late joiner needs: the text per source, and the other events. */
  private remember(event: StageEvent): void {
    if ((event.type === 'token' && event.source in this.leader.metrics.experts) || event.type === 'retry') return;
    if (this.log !== undefined && this.log.length < this.maxLogEvents) {
      this.log.push(event);
    } else {
      this.closeToJoiners();
    }
  }

  private catchUp(participant: Sink): void {
    const requestId = this.leader.requestId;
    const experts = this.leader.metrics.experts;
    for (const source of Object.keys(experts)) {
      const { text } = experts[source];
      if (text.length > 0) participant.next({ type: 'token', requestId, source, text });
    }
    for (const event of this.log ?? []) participant.next(event);
  }

  private leave(participant: Sink): void {
    this.participants = this.participants.filter((p) => p !== participant);
    if (this.participants.length > 0 || this.ended) return;
    this.ended = true;
    this.closeToJoiners();
    this.upstream?.unsubscribe();
  }

  private end(notify: (participant: Sink) => void): void {
    this.ended = true;
    this.closeToJoiners();
    for (const participant of this.participants) notify(participant);
  }

  private closeToJoiners(): void {
    if (this.log === undefined) return;
    this.log = undefined;
    this.onEnd();
  }
}

/** A sink that re-stamps the leader's events for a follower's job. */
const restamped = (subscriber: Sink, job: Job, leader: Job): Sink => {
  const forward = (event: StageEvent): void => {
    if ('job' in event) {
      if (event.type === 'answer') {
        job.result = leader.result;
        job.metrics.adoptStages(leader.metrics, ['execution', 'fusion']);
        subscriber.next(handoff('answer', job));
      }
      return;
    }
    subscriber.next(event.requestId === job.requestId ? event : { ...event, requestId: job.requestId });
  };
  return { next: forward, error: (error) => subscriber.error(error), complete: () => subscriber.complete() };
};
