/** The `usage` a chat completion reports: the request's real token totals when it has them. */
import type { CompleteEvent } from '../../index';
import { estimateUsage, type ChatUsage } from './chat-chunks';

/**
 * `complete.usage` (the totals over every expert and the fusion; zero for a cached answer) as
 * OpenAI's usage: `prompt_tokens` = input tokens, `completion_tokens` = output tokens. Without
 * it, an estimate of `prompt` and the answer (about 4 characters a token).
 */
export const chatUsage = (complete: CompleteEvent, prompt: string): ChatUsage => {
  if (complete.usage === undefined) return estimateUsage(prompt, complete.text);
  const { inputTokens, outputTokens } = complete.usage;
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
};
