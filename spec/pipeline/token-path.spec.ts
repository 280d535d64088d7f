/**
 * The per-token cost is the number of subscriber hops between an expert and the consumer
 * (each one 2-3 stack frames and a dispatch). This counts them: a hop is a `Subscriber.next`
 * call on the stack when the consumer gets the token, from the expert's own
 * `subscriber.next(token)` down to the consumer's.
 */
import { Observable, Subscriber } from 'rxjs';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import type { PipelineEvent } from '../../src/events';
import type { Expert } from '../../src/ports';
import { newScheduler } from '../support/virtual-time';

/** An expert whose tokens the test emits by hand. */
const handExpert = (id: string) => {
  const subscribers: Subscriber<string>[] = [];
  const expert: Expert = { id, model: 'hand', version: '1', stream: () => new Observable<string>((subscriber) => { subscribers.push(subscriber); }) };
  return { expert, subscribers, end: () => subscribers.forEach((subscriber) => subscriber.complete()) };
};

/** Runs `act` with `Subscriber.next` counting how deep it is nested; `depth()` reads it. */
const onCountedStack = (act: (depth: () => number) => void): void => {
  const original = Subscriber.prototype.next;
  let depth = 0;
  Subscriber.prototype.next = function next(this: Subscriber<unknown>, value: unknown) {
    depth++;
    try {
      original.call(this, value);
    } finally {
      depth--;
    }
  };
  try {
    act(() => depth);
  } finally {
    Subscriber.prototype.next = original;
  }
};

/** Subscribes to a request and notes the hop count of every token it gets. */
const watch = (events$: Observable<PipelineEvent>, depth: () => number) => {
  const hops: number[] = [];
  const events: PipelineEvent[] = [];
  events$.subscribe((event) => {
    events.push(event);
    if (event.type === 'token') hops.push(depth());
  });
  return { hops, events };
};

describe('the token path', () => {
  it('takes at most 5 subscriber hops from an expert to the consumer with the default chain', () => {
    newScheduler().run(({ flush }) => {
      onCountedStack((depth) => {
        const hand = handExpert('solo');
        const plugin = new DialoguePlugin({ experts: [hand.expert] });
        const request = watch(plugin.process('How many hops?', { requestId: 'leader' }), depth);
        for (const token of [' one', ' two', ' three']) hand.subscribers[0]!.next(token);
        hand.end();
        flush();
        expect(request.events.at(-1)).toEqual(expect.objectContaining({ type: 'complete', text: ' one two three' }));
        expect(request.hops.length).toBeGreaterThanOrEqual(3);
        expect(Math.max(...request.hops)).toBeLessThanOrEqual(5);
        // Today 3: retry's subscriber, the fan-out stage's inner subscriber, the caller's; the chain's stages are fused function calls.
        expect(Math.max(...request.hops)).toBe(3);
      });
    });
  });

  it('takes as few hops for a single-flight follower as for the leader', () => {
    newScheduler().run(({ flush }) => {
      onCountedStack((depth) => {
        const hand = handExpert('shared');
        const plugin = new DialoguePlugin({ experts: [hand.expert] });
        const leader = watch(plugin.process('Same question', { requestId: 'a' }), depth);
        const follower = watch(plugin.process('Same question', { requestId: 'b' }), depth);
        expect(hand.subscribers).toHaveLength(1); // one execution for both
        for (const token of [' one', ' two', ' three']) hand.subscribers[0]!.next(token);
        hand.end();
        flush();
        expect(follower.events.at(-1)).toEqual(expect.objectContaining({ type: 'complete', requestId: 'b', text: ' one two three' }));
        expect(follower.hops).toEqual(leader.hops);
        expect(Math.max(...follower.hops)).toBeLessThanOrEqual(5);
      });
    });
  });
});
