import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { PipelineEvent } from '../../../src/events';
import { writeChatStream } from '../../../src/server/openai/write-chat-stream';

const requestId = 'r1';
const reply = { meta: { id: 'chatcmpl-r1', model: 'dialogue-pipeline', created: 1 }, prompt: 'hi', includeUsage: true };

/** A ServerResponse stand-in that records what is written, in order. */
class FakeResponse extends EventEmitter {
  readonly frames: string[] = [];
  headersSent = false;
  writableEnded = false;
  destroyed = false;
  writeHead(): this {
    this.headersSent = true;
    return this;
  }
  write(frame: string): boolean {
    this.frames.push(frame);
    return true;
  }
  end(): this {
    this.writableEnded = true;
    return this;
  }
  /** The deltas written so far (data frames with choices). */
  get deltas(): unknown[] {
    return this.frames.filter((f) => f.startsWith('data: {')).map((f) => JSON.parse(f.slice(6)) as { choices: Array<{ delta: unknown }> })
      .filter((chunk) => chunk.choices.length > 0).map((chunk) => chunk.choices[0].delta);
  }
}

const start = (reasoning?: boolean) => {
  const events = new Subject<PipelineEvent>();
  const res = new FakeResponse();
  writeChatStream(events, res as unknown as ServerResponse, reply, { heartbeatMs: 0, ...(reasoning === undefined ? {} : { reasoning }) });
  return { events, res };
};

describe('writeChatStream', () => {
  it('writes the first expert token as a reasoning chunk before the next event arrives', () => {
    const { events, res } = start();
    events.next({ type: 'start', requestId, at: 0 });
    expect(res.deltas).toEqual([]);
    events.next({ type: 'token', requestId, source: 'fast', text: 'First' });
    expect(res.deltas).toEqual([{ role: 'assistant' }, { reasoning_content: '[fast] First' }]);
    events.next({ type: 'token', requestId, source: 'slow', text: 'Second' });
    expect(res.deltas.at(-1)).toEqual({ reasoning_content: '\n[slow] Second' });
  });

  it('streams fusion tokens live as content and ends with the rest, stop, the real usage and [DONE]', () => {
    const { events, res } = start();
    events.next({ type: 'token', requestId, source: 'fusion', text: 'Fused' });
    expect(res.deltas).toEqual([{ role: 'assistant' }, { content: 'Fused' }]);
    events.next({ type: 'complete', requestId, text: 'Fused answer', fromCache: false, degraded: false, usage: { inputTokens: 12, outputTokens: 30, estimated: false } });
    expect(res.deltas).toEqual([{ role: 'assistant' }, { content: 'Fused' }, { content: ' answer' }, {}]);
    expect(JSON.parse(res.frames.at(-2)!.slice(6))).toEqual(expect.objectContaining({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 } }));
    expect(res.frames.at(-1)).toBe('data: [DONE]\n\n');
    expect(res.writableEnded).toBe(true);
  });

  it('opens on an expert token without writing it when reasoning is off', () => {
    const { events, res } = start(false);
    events.next({ type: 'token', requestId, source: 'fast', text: 'First' });
    expect(res.deltas).toEqual([{ role: 'assistant' }]);
    events.next({ type: 'complete', requestId, text: 'Done', fromCache: false, degraded: false });
    expect(res.deltas).toEqual([{ role: 'assistant' }, { content: 'Done' }, {}]);
    // No complete.usage: the estimate (about 4 characters a token) of the prompt and the answer.
    expect(JSON.parse(res.frames.at(-2)!.slice(6))).toEqual(expect.objectContaining({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  });

  it('sends ": ping" between live chunks while it waits, in virtual time, and stops it at the end', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const res = new FakeResponse();
    scheduler.run(({ cold }) => {
      const events = cold<PipelineEvent>('a 24ms c', {
        a: { type: 'token', requestId, source: 'x', text: 'Hi' },
        c: { type: 'complete', requestId, text: 'Hi', fromCache: false, degraded: false },
      });
      writeChatStream(events, res as unknown as ServerResponse, reply, { heartbeatMs: 10, scheduler });
    });
    const kinds = res.frames.map((frame) => (frame === ': ping\n\n' ? 'ping' : frame === 'data: [DONE]\n\n' ? 'done' : 'chunk'));
    // role, reasoning; pings at 10 and 20 ms; content, stop, usage at 25 ms; nothing after [DONE].
    expect(kinds).toEqual(['chunk', 'chunk', 'ping', 'ping', 'chunk', 'chunk', 'chunk', 'done']);
  });

  it('ends with an error chunk, and no [DONE], when the request fails after the reasoning started', () => {
    const { events, res } = start();
    events.next({ type: 'token', requestId, source: 'a', text: 'Partial' });
    events.next({ type: 'error', requestId, error: { kind: 'system', message: 'at /secret/path', user: false } });
    expect(res.frames.at(-1)).toBe(`data: ${JSON.stringify({ error: { message: 'The request failed', type: 'server_error', code: 'internal_error' } })}\n\n`);
    expect(res.frames).not.toContain('data: [DONE]\n\n');
    expect(res.writableEnded).toBe(true);
    expect(events.observed).toBe(false);
  });
});
