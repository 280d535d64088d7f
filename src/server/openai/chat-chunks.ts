/** The OpenAI chat completions wire objects the server sends: stream chunks, the whole completion, usage. */

/** What every chunk and completion of one request shares. */
export interface ChatMeta {
  /** `chatcmpl-<requestId>` */
  readonly id: string;
  readonly model: string;
  /** Unix seconds. */
  readonly created: number;
}

/** Token counts: the request's real totals (`complete.usage`, see `chatUsage`), or an estimate when those are absent. */
export interface ChatUsage { readonly prompt_tokens: number; readonly completion_tokens: number; readonly total_tokens: number }

/** The `delta` of a stream chunk: the role, a piece of the answer (`content`), a piece of the experts' progress (`reasoning_content`), or nothing. */
export type ChatDelta = { readonly role: 'assistant' } | { readonly content: string } | { readonly reasoning_content: string } | Record<string, never>;

/** One `chat.completion.chunk`. */
export const chatChunk = (meta: ChatMeta, delta: ChatDelta, finishReason: 'stop' | null) => ({
  id: meta.id, object: 'chat.completion.chunk' as const, created: meta.created, model: meta.model,
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

/** The chunk OpenAI sends last when `stream_options.include_usage` is set: no choices, the usage. */
export const usageChunk = (meta: ChatMeta, usage: ChatUsage) => ({
  id: meta.id, object: 'chat.completion.chunk' as const, created: meta.created, model: meta.model, choices: [], usage,
});

/** A non-streamed `chat.completion`. */
export const chatCompletion = (meta: ChatMeta, content: string, usage: ChatUsage) => ({
  id: meta.id, object: 'chat.completion' as const, created: meta.created, model: meta.model,
  choices: [{ index: 0, message: { role: 'assistant' as const, content }, finish_reason: 'stop' as const }],
  usage,
});

/** About 4 characters a token: a rough estimate, documented as such. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** Estimated usage of a prompt and its answer: the fallback when a request's events carry no usage. */
export const estimateUsage = (prompt: string, answer: string): ChatUsage => {
  const promptTokens = estimateTokens(prompt);
  const completionTokens = estimateTokens(answer);
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
};

/** `text` cut into word-sized pieces (each word with the whitespace before it, then any trailing whitespace); they join to `text` exactly. */
export const textPieces = (text: string): string[] => text.match(/\s*\S+|\s+$/g) ?? [];

/** One SSE message as OpenAI frames it: `data: <JSON>\n\n` (JSON never contains a raw line break). */
export const dataFrame = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

/** The end-of-stream message. */
export const DONE_FRAME = 'data: [DONE]\n\n';
