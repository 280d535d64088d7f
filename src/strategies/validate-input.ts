/**
 * Decodes what the caller asks: a prompt (one user message) or a conversation, with every
 * problem listed (fp-ts validation), not just the first.
 */
import * as E from 'fp-ts/Either';
import type * as NEA from 'fp-ts/NonEmptyArray';
import type { ChatMessage, ChatRole } from '../conversation';

/** Problems, or the value. */
export type Checked<T> = E.Either<NEA.NonEmptyArray<string>, T>;

/** C0 controls except tab (U+0009), line feed (U+000A) and carriage return (U+000D). */
export const C0_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/** Limits on what a request may carry. */
export interface InputLimits {
  /** Most characters (code points) of the prompt, or of all the conversation's messages together. */
  readonly maxPromptChars: number;
  /** Most messages in a conversation. */
  readonly maxMessages: number;
}

/** A checked conversation: its messages and its last (user) message. */
export interface CheckedInput { readonly messages: readonly ChatMessage[]; readonly prompt: string }

const ROLES: ReadonlySet<string> = new Set<ChatRole>(['system', 'user', 'assistant']);
const NON_SPACE = /\S/;

/** Describes a value's kind for a message: 'null', 'array', 'number', ... */
export const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Counts code points, not UTF-16 units. */
const codePoints = (text: string): number => {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) i++;
    count++;
  }
  return count;
};

const textProblems = (text: string, what: string): string[] => {
  const problems: string[] = [];
  if (!NON_SPACE.test(text)) problems.push(`${what} must not be empty or whitespace only`);
  if (C0_CONTROL.test(text)) problems.push(`${what} must not contain control characters other than tab, newline and carriage return`);
  return problems;
};

const checkPrompt = (prompt: string, limits: InputLimits): string[] => {
  const problems = textProblems(prompt, 'prompt');
  if (prompt.length > limits.maxPromptChars && codePoints(prompt) > limits.maxPromptChars) {
    problems.push(`prompt must be at most ${limits.maxPromptChars} characters (code points)`);
  }
  return problems;
};

const checkMessage = (message: unknown, index: number): string[] => {
  const at = `messages[${index}]`;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return [`${at} must be an object { role, content } (got ${kindOf(message)})`];
  const { role, content, ...rest } = message as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof role !== 'string' || !ROLES.has(role)) problems.push(`${at}.role must be 'system', 'user' or 'assistant' (got ${typeof role === 'string' ? JSON.stringify(role.slice(0, 40)) : kindOf(role)})`);
  if (typeof content !== 'string') problems.push(`${at}.content must be a string (got ${kindOf(content)})`);
  else problems.push(...textProblems(content, `${at}.content`));
  for (const key of Object.keys(rest)) problems.push(`${at} has an unknown field "${key.slice(0, 40)}" (known: role, content)`);
  return problems;
};

const checkConversation = (messages: readonly unknown[], limits: InputLimits): string[] => {
  if (messages.length === 0) return ['messages must not be empty'];
  if (messages.length > limits.maxMessages) return [`messages must be at most ${limits.maxMessages}`];
  const problems = messages.flatMap(checkMessage);
  const roles = messages.map((message) => (typeof message === 'object' && message !== null ? (message as { role?: unknown }).role : undefined));
  const firstOther = roles.findIndex((role) => role !== 'system');
  roles.forEach((role, index) => {
    if (role === 'system' && firstOther >= 0 && index > firstOther) problems.push(`messages[${index}]: system messages must come before the others`);
  });
  if (roles[roles.length - 1] !== 'user') problems.push(`the last message must be from the user (messages[${messages.length - 1}] is ${typeof roles[roles.length - 1] === 'string' ? `'${String(roles[roles.length - 1]).slice(0, 40)}'` : 'not a message'})`);
  let total = 0;
  for (const message of messages) {
    const content = (message as { content?: unknown } | null)?.content;
    if (typeof content === 'string') total += content.length;
  }
  if (total > limits.maxPromptChars) {
    const points = messages.reduce((sum: number, message) => {
      const content = (message as { content?: unknown } | null)?.content;
      return sum + (typeof content === 'string' ? codePoints(content) : 0);
    }, 0);
    if (points > limits.maxPromptChars) problems.push(`messages must be at most ${limits.maxPromptChars} characters (code points) in all`);
  }
  return problems;
};

/** Checks a prompt or a conversation; a prompt becomes one user message. */
export const checkInput = (input: unknown, limits: InputLimits): Checked<CheckedInput> => {
  const problems = typeof input === 'string' ? checkPrompt(input, limits)
    : Array.isArray(input) ? checkConversation(input, limits)
      : [`prompt must be a string or an array of chat messages (got ${kindOf(input)})`];
  if (problems.length > 0) return E.left(problems as NEA.NonEmptyArray<string>);
  if (typeof input === 'string') return E.right({ messages: [{ role: 'user', content: input }], prompt: input });
  const messages = (input as readonly ChatMessage[]).map(({ role, content }) => ({ role, content }));
  return E.right({ messages, prompt: messages[messages.length - 1]!.content });
};
