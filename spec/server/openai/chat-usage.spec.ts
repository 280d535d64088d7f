import type { CompleteEvent } from '../../../src/events';
import { chatUsage } from '../../../src/server/openai/chat-usage';

const complete = (usage?: CompleteEvent['usage']): CompleteEvent => ({ type: 'complete', requestId: 'r1', text: '12345678', fromCache: usage?.inputTokens === 0, degraded: false, ...(usage === undefined ? {} : { usage }) });

describe('chatUsage', () => {
  it('reports the request\'s real totals as OpenAI usage, zero for a cached answer', () => {
    expect(chatUsage(complete({ inputTokens: 120, outputTokens: 45, estimated: false }), 'ignored')).toEqual({ prompt_tokens: 120, completion_tokens: 45, total_tokens: 165 });
    expect(chatUsage(complete({ inputTokens: 0, outputTokens: 0, estimated: false }), 'ignored')).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('falls back to the estimate of the prompt and the answer when complete carries no usage', () => {
    expect(chatUsage(complete(), '12345')).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });
  });
});
