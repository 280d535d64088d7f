/**
 * The plugin with a scripted Coordinator, in virtual time: leading, following, taking over,
 * giving up, falling back, and the cancel side (coordinated-execution.ts, dialogue-plugin.ts).
 */
import { EMPTY, NEVER, Observable, Subject, concat, firstValueFrom, of, throwError } from 'rxjs';
import type { CompleteEvent, ErrorEvent, MetricsEvent, PipelineEvent, RetryEvent } from '../../src/events';
import { MAX_TAKEOVERS } from '../../src/pipeline/flight-records';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { Coordinator, FlightClaim, FlightRecord, RemoteCancel } from '../../src/ports';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { newScheduler, pendingTimers, record, typesOf } from '../support/virtual-time';

type Script = (takeover: boolean) => Observable<FlightClaim>;

/** A Coordinator whose claims follow a script; it records what leaders append and what is asked of it. */
class ScriptedCoordinator implements Coordinator {
  readonly replicaId = 'scripted';
  readonly appended: FlightRecord[][] = [];
  readonly claims: { key: string; takeover: boolean }[] = [];
  readonly broadcasts: string[] = [];
  readonly orders = new Subject<RemoteCancel>();
  released = 0;
  closed = false;
  anywhere: Observable<boolean> = of(false);
  constructor(private readonly script: Script[]) {}

  claim(key: string, options?: { readonly takeover?: boolean }): Observable<FlightClaim> {
    const takeover = options?.takeover === true;
    this.claims.push({ key, takeover });
    const next = this.script.shift() ?? leads(this);
    return next(takeover);
  }
  cancelOrders(): Observable<RemoteCancel> { return this.orders; }
  broadcastCancel(requestId: string): Observable<void> {
    this.broadcasts.push(requestId);
    return EMPTY;
  }
  cancelAnywhere(): Observable<boolean> { return this.anywhere; }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A claim this replica wins: appends go to a new log; unsubscribing counts a release. */
const leads = (coordinator: ScriptedCoordinator): Script => (takeover) => new Observable<FlightClaim>((subscriber) => {
  const log: FlightRecord[] = [];
  coordinator.appended.push(log);
  subscriber.next({ role: 'leader', takeover, append: (record) => log.push(record) });
  return () => { coordinator.released++; };
});

/** A claim another replica holds: its log is `records`. */
const follows = (records: Observable<FlightRecord>): Script => () => concat(of<FlightClaim>({ role: 'follower', records }), NEVER);

const token = (source: string, text: string): FlightRecord => ({ kind: 'event', event: { type: 'token', source, text } });
const expert = (id: string) => simulatedExpert({ id, answer: `${id} answers`, firstTokenDelayMs: 10, tokenDelayMs: 10 });
const terminalOf = (events: PipelineEvent[]) => events[events.length - 1];

describe('coordinated execution', () => {
  it('leads: runs the experts here and appends every event, the fused answer and end', () => {
    newScheduler().run(({ flush }) => {
      const coordinator = new ScriptedCoordinator([]);
      const experts = [expert('x'), expert('y')];
      const plugin = new DialoguePlugin({ experts, cache: false, coordination: coordinator });
      const run = record(plugin.process('same question', { requestId: 'r1' }));
      flush();
      expect(terminalOf(run.events)).toEqual(expect.objectContaining({ type: 'complete', text: 'x answers' }));
      const [log] = coordinator.appended;
      expect(log.filter((r) => r.kind === 'event').map((r) => (r as { event: { type: string } }).event.type).sort())
        .toEqual(['expert', 'expert', 'token', 'token', 'token', 'token']);
      expect(log.slice(-2)).toEqual([{ kind: 'answer', text: 'x answers', degraded: false }, { kind: 'end' }]);
      expect(log.every((r) => r.kind !== 'event' || !('requestId' in r.event))).toBe(true);
      expect(coordinator.released).toBe(1);
      expect(coordinator.claims).toEqual([{ key: expect.stringMatching(/^[0-9a-f]{64}$/), takeover: false }]);
    });
  });

  it("follows: replays the leader's log as its own events and builds its own answer from it", () => {
    newScheduler().run(({ cold, flush }) => {
      const log = cold<FlightRecord>('5ms a 4ms b 4ms (ce|)', {
        a: token('x', 'remote'),
        b: { kind: 'event', event: { type: 'expert', expertId: 'x', outcome: 'ok', ms: 12, tokens: 1 } },
        c: { kind: 'answer', text: 'remote answer', degraded: false },
        e: { kind: 'end' },
      });
      const coordinator = new ScriptedCoordinator([follows(log)]);
      const experts = [expert('x')];
      const plugin = new DialoguePlugin({ experts, cache: false, coordination: coordinator });
      const run = record(plugin.process('same question', { requestId: 'mine' }));
      flush();
      expect(typesOf(run.events)).toEqual(['start', 'plan', 'token', 'expert', 'metrics', 'complete']);
      expect(run.events.every((e) => e.requestId === 'mine')).toBe(true);
      expect(terminalOf(run.events)).toEqual({ type: 'complete', requestId: 'mine', text: 'remote answer', fromCache: false, degraded: false });
      const metrics = (run.events.find((e) => e.type === 'metrics') as MetricsEvent).metrics;
      expect(metrics.experts.x).toEqual(expect.objectContaining({ outcome: 'ok', ms: 12, tokens: 1 }));
      expect(metrics.stages.execution).toBe(15);
      expect(experts[0].stats.started).toBe(0);
    });
  });

  it('takes over when the leader is lost: discards the partial text, restarts the log, answers itself', () => {
    newScheduler().run(({ cold, flush }) => {
      // The guard holds a word back until the next one: two tokens, so the first is shown.
      const lost = cold<FlightRecord>('5ms a 4ms b 5ms #', { a: token('x', 'half'), b: token('x', ' more') }, new Error('leader lost'));
      const coordinator = new ScriptedCoordinator([follows(lost)]);
      const experts = [expert('x')];
      const plugin = new DialoguePlugin({ experts, cache: false, coordination: coordinator });
      const run = record(plugin.process('same question'));
      flush();
      const types = typesOf(run.events);
      expect(types.slice(0, 5)).toEqual(['start', 'plan', 'token', 'retry', 'status']);
      expect(run.events[3]).toEqual(expect.objectContaining<Partial<RetryEvent>>({ type: 'retry', source: 'x', discard: true, maxRetries: MAX_TAKEOVERS }));
      expect(terminalOf(run.events)).toEqual(expect.objectContaining({ type: 'complete', text: 'x answers' }));
      expect(coordinator.claims.map((c) => c.takeover)).toEqual([false, true]);
      expect(coordinator.appended[0][0]).toEqual(expect.objectContaining({ kind: 'reset' }));
      expect(experts[0].stats.started).toBe(1);
    });
  });

  it(`ends with a system error after ${MAX_TAKEOVERS} takeovers that all lost their leader`, () => {
    newScheduler().run(({ cold, flush }) => {
      const lost = () => follows(cold<FlightRecord>('5ms #', undefined, new Error('leader lost')));
      const coordinator = new ScriptedCoordinator(Array.from({ length: MAX_TAKEOVERS + 1 }, lost));
      const reported: string[] = [];
      const plugin = new DialoguePlugin({
        experts: [expert('x')], cache: false, coordination: coordinator,
        onSystemError: (_error, context) => reported.push(context.stage),
      });
      const run = record(plugin.process('same question'));
      flush();
      expect(terminalOf(run.events)).toEqual(expect.objectContaining<Partial<ErrorEvent>>({ type: 'error', error: expect.objectContaining({ kind: 'system', user: false }) }));
      expect(coordinator.claims).toHaveLength(MAX_TAKEOVERS + 1);
      expect(reported).toEqual(['coordination']);
    });
  });

  it('answers here when the claim fails (the store is unreachable), and reports it', () => {
    newScheduler().run(({ flush }) => {
      const coordinator = new ScriptedCoordinator([() => throwError(() => new Error('ECONNREFUSED'))]);
      const reported: unknown[] = [];
      const experts = [expert('x')];
      const plugin = new DialoguePlugin({ experts, cache: false, coordination: coordinator, onSystemError: (error) => reported.push(error) });
      const run = record(plugin.process('same question'));
      flush();
      expect(terminalOf(run.events)).toEqual(expect.objectContaining<Partial<CompleteEvent>>({ type: 'complete', text: 'x answers' }));
      expect(reported).toEqual([expect.objectContaining({ message: 'ECONNREFUSED' })]);
      expect(experts[0].stats.started).toBe(1);
    });
  });

  it('releases the claim and stops the experts when the last local participant leaves', () => {
    const scheduler = newScheduler();
    scheduler.run(({ flush }) => {
      const coordinator = new ScriptedCoordinator([]);
      const experts = [expert('x')];
      const plugin = new DialoguePlugin({ experts, cache: false, coordination: coordinator });
      record(plugin.process('same question', { requestId: 'leaving' }));
      scheduler.schedule(() => plugin.cancel('leaving'), 15);
      flush();
      expect(coordinator.released).toBe(1);
      expect(coordinator.appended[0].some((r) => r.kind === 'end')).toBe(false);
      expect(experts[0].stats).toEqual(expect.objectContaining({ active: 0, cancelled: 1 }));
      expect(pendingTimers(scheduler)).toBe(0);
    });
  });

  describe('cancel', () => {
    it('keeps cancel() true only for a request running here, and tells the other replicas either way', () => {
      newScheduler().run(({ flush }) => {
        const coordinator = new ScriptedCoordinator([]);
        const plugin = new DialoguePlugin({ experts: [expert('x')], cache: false, coordination: coordinator });
        const run = record(plugin.process('question', { requestId: 'here' }));
        expect(plugin.cancel('elsewhere')).toBe(false);
        expect(plugin.cancel('here')).toBe(true);
        flush();
        expect(terminalOf(run.events).type).toBe('cancelled');
        expect(coordinator.broadcasts).toEqual(['elsewhere', 'here']);
      });
    });

    it("cancels a request on another replica's order and replies whether it ran here", () => {
      newScheduler().run(({ flush }) => {
        const coordinator = new ScriptedCoordinator([]);
        const plugin = new DialoguePlugin({ experts: [expert('x')], cache: false, coordination: coordinator });
        const run = record(plugin.process('question', { requestId: 'r1' }));
        const replies: boolean[] = [];
        coordinator.orders.next({ requestId: 'r1', reply: (running) => replies.push(running) });
        coordinator.orders.next({ requestId: 'r2', reply: (running) => replies.push(running) });
        flush();
        expect(replies).toEqual([true, false]);
        expect(terminalOf(run.events)).toEqual(expect.objectContaining({ type: 'cancelled', reason: 'cancelled' }));
      });
    });

    it('resolves cancelAnywhere true here at once, else with what the other replicas said', async () => {
      const coordinator = new ScriptedCoordinator([]);
      const plugin = new DialoguePlugin({ experts: [expert('x')], cache: false, coordination: coordinator });
      coordinator.anywhere = of(true);
      await expect(plugin.cancelAnywhere('remote')).resolves.toBe(true);
      coordinator.anywhere = throwError(() => new Error('redis down'));
      await expect(plugin.cancelAnywhere('remote')).resolves.toBe(false);
      const running = plugin.process('question', { requestId: 'local' }).subscribe();
      coordinator.anywhere = of(false);
      await expect(plugin.cancelAnywhere('local')).resolves.toBe(true);
      running.unsubscribe();
      await plugin.close();
    });

    it('stops listening to other replicas and closes the coordinator on close()', async () => {
      const coordinator = new ScriptedCoordinator([]);
      const plugin = new DialoguePlugin({ experts: [expert('x')], cache: false, coordination: coordinator });
      expect(coordinator.orders.observed).toBe(true);
      await plugin.close();
      expect(coordinator.orders.observed).toBe(false);
      expect(coordinator.closed).toBe(true);
      await expect(firstValueFrom(plugin.process('late'))).resolves.toEqual(expect.objectContaining({ type: 'start' }));
    });
  });

  it('refuses a coordination option that is not a Coordinator', () => {
    expect(() => new DialoguePlugin({ experts: [expert('x')], coordination: {} as Coordinator })).toThrow(/coordination must be a Coordinator/);
  });
});
