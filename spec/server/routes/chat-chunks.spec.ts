import { concat, from, NEVER, Subject, throwError, type Observable } from 'rxjs';
import type { PipelineEvent } from '../../../src/events';
import type { PipelineMetrics } from '../../../src/metrics';
import { toUIMessageChunks } from '../../../src/server/ai-sdk/to-ui-message-chunks';
import type { UIMessageChunk } from '../../../src/server/ai-sdk/ui-message-chunks';

const requestId = 'r1';
const token = (source: string, text: string): PipelineEvent => ({ type: 'token', requestId, source, text });
const complete = (text: string, degraded = false): PipelineEvent => ({ type: 'complete', requestId, text, fromCache: false, degraded });
const metrics = (experts: PipelineMetrics['experts'] = {}): PipelineEvent => ({
  type: 'metrics', requestId, metrics: { total: 40, stages: {}, ttft: 12, experts, cacheHit: false, degraded: false, bottlenecks: [] },
});
const plan: PipelineEvent = {
  type: 'plan', requestId,
  plan: { id: 'p', intent: 'general', tasks: [{ expertId: 'a', model: 'm', version: '1' }], fusion: { id: 'sections', version: '1' } },
};

/** The chunks `events$` maps to so far, and whether the chunk stream completed (both kept up to date). */
const chunksOf = (events$: Observable<PipelineEvent>): { readonly chunks: UIMessageChunk[]; completed: boolean } => {
  const seen = { chunks: [] as UIMessageChunk[], completed: false };
  events$.pipe(toUIMessageChunks({ requestId })).subscribe({
    next: (chunk) => seen.chunks.push(chunk),
    complete: () => {
      seen.completed = true;
    },
  });
  return seen;
};
const textChunks = (chunks: readonly UIMessageChunk[]) => chunks.filter((chunk) => chunk.type.startsWith('text-'));

describe('toUIMessageChunks', () => {
  it('sends the rest of the final text when the guard held back the end of the streamed text', () => {
    const { chunks } = chunksOf(from([token('fusion', 'Hello wor'), complete('Hello world.')]));
    expect(textChunks(chunks)).toEqual([
      { type: 'text-start', id: 'answer-1' },
      { type: 'text-delta', id: 'answer-1', delta: 'Hello wor' },
      { type: 'text-delta', id: 'answer-1', delta: 'ld.' },
      { type: 'text-end', id: 'answer-1' },
    ]);
  });

  it('supersedes the streamed text when the answer is discarded, and streams the new attempt in a new part', () => {
    const discard: PipelineEvent = { type: 'retry', requestId, source: 'fusion', attempt: 1, maxRetries: 3, delayMs: 0, reason: 'leader lost', discard: true };
    const { chunks } = chunksOf(from([token('fusion', 'Old'), discard, token('fusion', 'New'), complete('New')]));
    expect(textChunks(chunks)).toEqual([
      { type: 'text-start', id: 'answer-1' },
      { type: 'text-delta', id: 'answer-1', delta: 'Old' },
      { type: 'text-end', id: 'answer-1', providerMetadata: { dialoguePipeline: { superseded: true } } },
      { type: 'text-start', id: 'answer-2' },
      { type: 'text-delta', id: 'answer-2', delta: 'New' },
      { type: 'text-end', id: 'answer-2' },
    ]);
  });

  it('closes the open text, then sends the error and a finish with the timings', () => {
    const failed: PipelineEvent = { type: 'error', requestId, error: { kind: 'system', message: 'Something failed', user: false } };
    const seen = chunksOf(from([token('fusion', 'Part'), metrics(), failed, token('fusion', 'never sent')]));
    expect(seen.chunks.slice(-3)).toEqual([
      { type: 'text-end', id: 'answer-1' },
      { type: 'error', errorText: 'The request failed' },
      { type: 'finish', finishReason: 'error', messageMetadata: { totalMs: 40, ttftMs: 12 } },
    ]);
    expect(seen.completed).toBe(true);
  });

  it('ends with a generic error when the events end without a terminal event or error out', () => {
    expect(chunksOf(from([token('fusion', 'Part')])).chunks.slice(-2)).toEqual([{ type: 'text-end', id: 'answer-1' }, { type: 'error', errorText: 'The request failed' }]);
    expect(chunksOf(concat(from([plan]), throwError(() => new Error('at /secret/path')))).chunks.at(-1)).toEqual({ type: 'error', errorText: 'The request failed' });
  });

  it('settles experts the metrics say ended, and puts the timings and usage in the finish metadata', () => {
    // `complete.usage` is announced in DESIGN section 10; the mapping reads it when it is there.
    const withUsage: PipelineEvent = Object.assign(complete('Done'), { usage: { inputTokens: 3, outputTokens: 5, estimated: true } });
    const { chunks } = chunksOf(from([plan, token('a', 'Hi'), metrics({ a: { ttft: 1, ms: 9, tokens: 1, attempts: 1, outcome: 'cancelled' } }), withUsage]));
    expect(chunks.filter((chunk) => chunk.type === 'data-expert').map((chunk) => chunk.type === 'data-expert' && chunk.data)).toEqual([
      { expertId: 'a', model: 'm', version: '1', status: 'waiting', text: '' },
      { expertId: 'a', model: 'm', version: '1', status: 'streaming', text: 'Hi' },
      { expertId: 'a', model: 'm', version: '1', status: 'cancelled', text: 'Hi', ms: 9, tokens: 1 },
    ]);
    expect(chunks.at(-1)).toEqual({
      type: 'finish', finishReason: 'stop',
      messageMetadata: { fromCache: false, degraded: false, totalMs: 40, ttftMs: 12, usage: { inputTokens: 3, outputTokens: 5, estimated: true } },
    });
  });

  it('sends each event\'s chunks as it comes, and stops reading at the terminal event', () => {
    const events = new Subject<PipelineEvent>();
    const seen = chunksOf(concat(events, NEVER));
    const { chunks } = seen;
    events.next({ type: 'start', requestId, at: 0 });
    expect(chunks).toEqual([{ type: 'start', messageId: requestId, messageMetadata: { requestId } }]);
    events.next({ type: 'status', requestId, message: 'Retry 1/2 in 10ms' });
    expect(chunks.at(-1)).toEqual({ type: 'data-status', data: { message: 'Retry 1/2 in 10ms' }, transient: true });
    events.next({ type: 'cancelled', requestId, reason: 'plugin closed' });
    expect(chunks.at(-1)).toEqual({ type: 'abort', reason: 'plugin closed' });
    expect(events.observed).toBe(false); // the events are no longer read
    expect(seen.completed).toBe(true);
  });
});
