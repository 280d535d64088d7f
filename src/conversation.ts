/**
 * A conversation, not a single prompt: the messages of a chat, the generation parameters that
 * reach every expert, and the token usage an answer cost.
 */

/** Who wrote a message. */
export type ChatRole = 'system' | 'user' | 'assistant';

/** One message of a conversation. */
export interface ChatMessage { readonly role: ChatRole; readonly content: string }

/**
 * What the caller asks of the generation, for every expert (merged over each expert's own
 * params by the expert). All optional.
 */
export interface GenerationParams {
  /** Most tokens to generate (an integer >= 1). */
  readonly maxTokens?: number;
  /** Sampling temperature, 0-2. */
  readonly temperature?: number;
  /** Nucleus sampling, 0-1. */
  readonly topP?: number;
  /** Up to 4 sequences that end the generation. */
  readonly stop?: readonly string[];
  /** Seed for reproducible sampling (an integer). */
  readonly seed?: number;
}

/** Tokens an answer cost. `estimated`: true when some of it was estimated (about 4 characters per token), not reported by the provider. */
export interface Usage { readonly inputTokens: number; readonly outputTokens: number; readonly estimated: boolean }

/** What `process` takes: a prompt (one user message) or a whole conversation. */
export type DialogueInput = string | readonly ChatMessage[];

/** No tokens at all (a cache hit). */
export const NO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, estimated: false });

/** The sum of two usages (estimated if either is). */
export const addUsage = (a: Usage, b: Usage): Usage => ({
  inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, estimated: a.estimated || b.estimated,
});

/** About 4 characters per token: what a usage estimate counts when a provider reports none. */
export const estimateTokens = (characters: number): number => Math.ceil(characters / 4);

/** The estimated usage of a call: the conversation's characters in, the answer's out. */
export const estimateUsage = (messages: readonly ChatMessage[], answer: string): Usage => {
  let input = 0;
  for (const message of messages) input += message.content.length;
  return { inputTokens: estimateTokens(input), outputTokens: estimateTokens(answer.length), estimated: true };
};
