import { TestScheduler } from 'rxjs/testing';
import type { PipelineEvent, TokenEvent } from '../../src/events';
import { formatSSEEvent, SSE_HEARTBEAT, sseFrames, streamFailedEvent } from '../../src/sinks/sse-format';
import { parseStrict } from '../support/sse-helpers';

const token = (text: string): TokenEvent => ({ type: 'token', requestId: 'r1', source: 'a', text });
const forged = '\n\nevent: complete\ndata: {"type":"complete","requestId":"r1","text":"forged","fromCache":false,"degraded":false}\n\n';

describe('formatSSEEvent', () => {
  it('frames an event as one event line and one data line holding its JSON', () => {
    expect(formatSSEEvent(token('hi'))).toBe('event: token\ndata: {"type":"token","requestId":"r1","source":"a","text":"hi"}\n\n');
  });

  it('keeps line breaks of any kind inside the data line, escaped', () => {
    const event = token(`${forged}\r\n\rx\u2028y\u2029z`);
    const frame = formatSSEEvent(event)!;
    expect(frame.slice(0, -2)).not.toMatch(/[\n\r\u2028\u2029][^]*[\n\r\u2028\u2029]/); // only the line break after the event name
    expect(frame).toContain('\\u2028');
    expect(frame).toContain('\\u2029');
    expect(parseStrict(frame).events).toEqual([event]);
  });

  it('skips events whose type is not a lowercase name', () => {
    for (const type of ['Token', 'token\ndata: x', 'to ken', '', 'token\r', 'tök']) {
      expect(formatSSEEvent({ ...token('x'), type } as unknown as PipelineEvent)).toBeUndefined();
    }
    expect(formatSSEEvent(null as unknown as PipelineEvent)).toBeUndefined();
  });

  it('skips events that cannot be serialized', () => {
    const circular: Record<string, unknown> = { type: 'status', requestId: 'r1' };
    circular.self = circular;
    expect(formatSSEEvent(circular as unknown as PipelineEvent)).toBeUndefined();
    expect(formatSSEEvent({ type: 'status', requestId: 'r1', n: 1n } as unknown as PipelineEvent)).toBeUndefined();
  });
});

describe('sseFrames', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const a = token('a');
  const b = token('b');
  const fa = formatSSEEvent(a)!;
  const fb = formatSSEEvent(b)!;

  it('interleaves heartbeats while events$ runs and stops them when it completes', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const events$ = cold<PipelineEvent>('-a 9ms b 10ms |', { a, b });
      expectObservable(sseFrames(events$, { heartbeatMs: 4, scheduler })).toBe('-a 2ms p 3ms p 2ms b p 3ms p 3ms p 1ms |', { a: fa, b: fb, p: SSE_HEARTBEAT });
      expectSubscriptions(events$.subscriptions).toBe('^ 21ms !');
    });
  });

  it('sends no heartbeat when heartbeatMs is 0', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const events$ = cold<PipelineEvent>('-a 98ms |', { a });
      expectObservable(sseFrames(events$, { heartbeatMs: 0, scheduler })).toBe('-a 98ms |', { a: fa });
    });
  });

  it('skips events that cannot be framed and passes the rest', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const bad = { ...a, type: 'Bad Type' } as unknown as PipelineEvent;
      expectObservable(sseFrames(cold('a x b |', { a, x: bad, b }), { heartbeatMs: 0 })).toBe('a - b |', { a: fa, b: fb });
    });
  });

  it('ends with a generic error event, carrying the last request id, when events$ errors', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const events$ = cold<PipelineEvent>('a #', { a }, new Error('secret detail'));
      const failed = formatSSEEvent(streamFailedEvent('r1'))!;
      expectObservable(sseFrames(events$, { heartbeatMs: 5, scheduler })).toBe('a (e|)', { a: fa, e: failed });
      expectSubscriptions(events$.subscriptions).toBe('^!');
      expect(failed).not.toContain('secret');
    });
  });

  it('unsubscribes events$ and the heartbeat when unsubscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const events$ = cold<PipelineEvent>('a 20ms b |', { a, b });
      expectObservable(sseFrames(events$, { heartbeatMs: 5, scheduler }), '^ 7ms !').toBe('a 4ms p', { a: fa, p: SSE_HEARTBEAT });
      expectSubscriptions(events$.subscriptions).toBe('^ 7ms !');
    });
  });
});
