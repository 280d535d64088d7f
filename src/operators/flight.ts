/**
 * One shared execution for identical requests in flight at the same time (single flight).
 * The first participant starts the work; a participant joining later first gets what it
 * missed, then the rest live; each participant leaves alone, and the work stops when the last
 * one leaves. Events are re-stamped with each participant's own requestId (the first
 * participant's events are passed on as they are).
 *
 * Participants are plain functions, not subscribers: an event reaches each one with a function
 * call, no extra subscriber hop. A late joiner is caught up with `experts-started`, each
 * expert's text so far as ONE token (read from the execution, so the flight keeps nothing per
 * expert token), then the other events so far (fusion tokens, expert ends, status) in order.
 * Those stop being kept at `maxLogEvents`, and the flight then takes no new participants.
 */
import type { Subscription, Unsubscribable } from 'rxjs';
import type { ChainEvent, ExecuteEvent, ExpertsStartedEvent } from '../chain-events';
import type { TokenEvent } from '../events';
import type { StageHold, StageSink } from './staged';
import { NO_USAGE } from '../conversation';

/** Most non-token events a flight keeps for late joiners. */
export const MAX_FLIGHT_LOG_EVENTS = 1_000;

/** What a flight needs from the operator that keeps it: how to start its work, and to hear that it ended. */
export interface FlightHost {
  /** Starts `flight`'s work (for its `execute` event), delivering to `sink`; returns what stops it. */
  start(flight: Flight, sink: StageSink): Subscription;
  /** The flight takes no more participants (it ended, or its log is full). */
  ended(flight: Flight): void;
}

/**
 * A participant's own chain, as the flight sees it (a `StageContext` is one): where its events
 * and its tokens go, and how to hold the chain open while it is in the flight.
 */
export interface ParticipantLink {
  readonly next: (event: ChainEvent) => void;
  readonly token: (event: TokenEvent) => void;
  hold(onTeardown: Unsubscribable): StageHold;
}

/**
 * One request sharing the flight: where its events go, and its hold on its own chain. It is
 * its hold's teardown: its chain torn down, it leaves the flight. A class, not closures: its
 * size is per-request memory.
 */
class Participant implements Unsubscribable {
  hold: StageHold | undefined;
  readonly next: (event: ChainEvent) => void;
  readonly token: (event: TokenEvent) => void;
  constructor(readonly requestId: string, link: ParticipantLink, private readonly flight: Flight) {
    this.next = link.next;
    this.token = link.token;
  }
  unsubscribe(): void {
    this.flight.leave(this);
  }
}

/**
 * The work's event as `requestId`'s. The work's events carry its owner's id (the request that
 * started it); a joiner spent nothing, so its copies say so (`usage` none, as for a cache hit) and
 * tokens are counted once, for the owner.
 */
const restamp = (event: ChainEvent, requestId: string): ChainEvent => {
  if (event.requestId === requestId) return event;
  return 'usage' in event && event.usage !== undefined ? { ...event, requestId, usage: NO_USAGE } : { ...event, requestId };
};

/** A shared execution keyed by the cache key. It is the sink of its own work. */
export class Flight implements StageSink {
  private log: ChainEvent[] | undefined;
  private started: ExpertsStartedEvent | undefined;
  private participants: readonly Participant[] = [];
  private work: Subscription | undefined;
  private ended = false;
  private closed = false;

  /** `key`: the cache key it runs for; `execute`: its first participant's hand-off, which starts the work. */
  constructor(readonly key: string, readonly execute: ExecuteEvent, private readonly host: FlightHost, private readonly maxLogEvents = MAX_FLIGHT_LOG_EVENTS) {}

  /** False once the flight has ended or its log is full. */
  joinable(): boolean {
    return !this.ended && !this.closed;
  }

  /**
   * Joins as `requestId`: its events go to `link.next` and its tokens to `link.token` (caught up
   * first, then live). The participant's own chain is held open (`link.hold`): its hold ends
   * when the flight does and fails when it fails, and tearing that chain down leaves the
   * flight, also from inside the work's synchronous start.
   */
  join(requestId: string, link: ParticipantLink): void {
    const participant = new Participant(requestId, link, this);
    participant.hold = link.hold(participant);
    if (this.work !== undefined) this.catchUp(participant);
    this.participants = this.participants.length === 0 ? [participant] : [...this.participants, participant];
    if (this.work === undefined) {
      this.work = this.host.start(this, this);
      // Everyone left while the work was starting (a cancel from inside its synchronous start): stop it now.
      if (this.participants.length === 0 && this.ended) this.work.unsubscribe();
    }
  }

  /** The work's events, to every participant. */
  next(event: ChainEvent): void {
    this.deliver(event);
  }

  /**
   * The work's tokens, to every participant's token road (the hot path: no type dispatch;
   * the starting participant gets the event itself, others a copy with their requestId).
   */
  token(event: TokenEvent): void {
    if (event.source === 'fusion' && !this.closed) this.remember(event);
    const current = this.participants;
    for (let i = 0; i < current.length; i++) {
      const participant = current[i]!;
      try {
        participant.token(participant.requestId === event.requestId ? event : { type: 'token', requestId: participant.requestId, source: event.source, text: event.text });
      } catch (error) {
        participant.hold?.fail(error);
      }
    }
  }

  /** The work failed: every participant fails. */
  error(error: unknown): void {
    this.finish((participant) => participant.hold?.fail(error));
  }

  /** The work ended: every participant's hold ends. */
  complete(): void {
    this.finish((participant) => participant.hold?.end());
  }

  private deliver(event: ChainEvent): void {
    if (!this.closed) this.remember(event);
    const current = this.participants;
    for (let i = 0; i < current.length; i++) {
      const participant = current[i]!;
      try {
        participant.next(restamp(event, participant.requestId));
      } catch (error) {
        participant.hold?.fail(error); // one participant's failure is its own, not the flight's
      }
    }
  }

  /** Keeps what a late joiner needs: not the expert tokens and retries (the text so far stands for them). */
  private remember(event: ChainEvent): void {
    if (event.type === 'experts-started') {
      this.started = event;
      return;
    }
    if ((event.type === 'token' && event.source !== 'fusion') || event.type === 'retry') return;
    this.log ??= [];
    if (this.log.length < this.maxLogEvents) this.log.push(event);
    else this.closeToJoiners();
  }

  private catchUp(participant: Participant): void {
    const { requestId, next } = participant;
    if (this.started !== undefined) {
      next(restamp(this.started, requestId));
      for (const expert of this.started.progress()) {
        const text = expert.textSoFar();
        if (text.length > 0) next({ type: 'token', requestId, source: expert.expertId, text });
      }
    }
    for (const event of this.log ?? []) next(restamp(event, requestId));
  }

  /** A participant's chain was torn down. */
  leave(participant: Participant): void {
    this.participants = this.participants.filter((p) => p !== participant);
    if (this.participants.length > 0 || this.ended) return;
    this.ended = true;
    this.closeToJoiners();
    this.work?.unsubscribe();
  }

  private finish(notify: (participant: Participant) => void): void {
    this.ended = true;
    this.closeToJoiners();
    for (const participant of this.participants) notify(participant);
  }

  private closeToJoiners(): void {
    if (this.closed) return;
    this.closed = true;
    this.log = undefined;
    this.started = undefined;
    this.host.ended(this);
  }
}
