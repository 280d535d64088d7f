import type { CompleteEvent, PipelineEvent } from '../../../src/events';
import type { ChatDelta } from '../../../src/server/openai/chat-chunks';
import { CORRECTION_MARKER, createChatDeltas } from '../../../src/server/openai/chat-deltas';

const requestId = 'r1';
const token = (source: string, text: string): PipelineEvent => ({ type: 'token', requestId, source, text });
const complete = (text: string, degraded = false): CompleteEvent => ({ type: 'complete', requestId, text, fromCache: false, degraded });
const retry = (source: string, discard: boolean): PipelineEvent => ({ type: 'retry', requestId, source, attempt: 1, maxRetries: 2, delayMs: 10, reason: 'timeout', discard });

/** Every delta of `events` then `end`, in order. */
const run = (events: readonly PipelineEvent[], end: CompleteEvent, reasoning = true) => {
  const deltas = createChatDeltas({ reasoning });
  const list: ChatDelta[] = [];
  for (const event of events) {
    const delta = deltas.event(event);
    if (delta !== undefined) list.push(delta);
  }
  return [...list, ...deltas.complete(end)];
};
const joined = (list: ReturnType<typeof run>, key: 'content' | 'reasoning_content') =>
  list.map((delta) => (key in delta ? (delta as Record<string, string>)[key] : '')).join('');

describe('createChatDeltas', () => {
  it('streams expert tokens as reasoning, labelled whenever the expert changes, and the selected answer as content at complete', () => {
    const list = run([token('a', 'Hel'), token('a', 'lo'), token('b', 'Hi'), token('a', ' there')], complete('Hello there'));
    expect(list).toEqual([
      { reasoning_content: '[a] Hel' }, { reasoning_content: 'lo' }, { reasoning_content: '\n[b] Hi' }, { reasoning_content: '\n[a]  there' },
      { content: 'Hello' }, { content: ' there' },
    ]);
  });

  it('streams fusion and cache tokens live as content, then only what the guard held back', () => {
    expect(run([token('a', 'x'), token('fusion', 'Hello wor')], complete('Hello world.'))).toEqual([
      { reasoning_content: '[a] x' }, { content: 'Hello wor' }, { content: 'ld.' },
    ]);
    expect(run([token('cache', 'Cached'), token('cache', ' answer')], complete('Cached answer'))).toEqual([{ content: 'Cached' }, { content: ' answer' }]);
  });

  it('notes a discarding retry in the reasoning and labels the expert again; a retry without discard adds nothing', () => {
    const list = run([token('a', 'Old'), retry('a', true), token('a', 'New'), retry('b', false)], complete('New'));
    expect(joined(list, 'reasoning_content')).toBe('[a] Old\n[a] retry 1/2: the text above from a is discarded\n[a] New');
    expect(joined(list, 'content')).toBe('New');
  });

  it('appends the final text after a correction marker when a degraded fusion replaced the streamed content', () => {
    const list = run([token('fusion', 'Half an ans')], complete('The expert answer', true));
    expect(joined(list, 'content')).toBe(`Half an ans${CORRECTION_MARKER}The expert answer`);
    expect(joined(list, 'content').endsWith('The expert answer')).toBe(true);
    expect(joined(list, 'reasoning_content')).toBe("[fusion] the fusion failed; an expert's answer replaces it: the final answer follows the correction marker");
  });

  it('stops streaming fusion tokens live after the fusion discards its text, and corrects at complete', () => {
    const list = run([token('fusion', 'Old'), retry('fusion', true), token('fusion', 'New answer')], complete('New answer'));
    expect(joined(list, 'content')).toBe(`Old${CORRECTION_MARKER}New answer`);
  });

  it('sends no reasoning at all when reasoning is off', () => {
    const list = run([token('a', 'x'), retry('a', true), token('fusion', 'Half')], complete('Other', true), false);
    expect(list.every((delta) => !('reasoning_content' in delta))).toBe(true);
    expect(joined(list, 'content')).toBe(`Half${CORRECTION_MARKER}Other`);
  });
});
