/**
 * Decodes the body `useChat` (AI SDK 5/6, `DefaultChatTransport`) POSTs: `{ id, messages, trigger,
 * messageId?, ...body }`, where each message is a `UIMessage` `{ id, role, parts }`. The
 * conversation is the messages' text parts, as `ChatMessage`s:
 *
 * - a message's content is its `text` parts joined with "\n"; other parts (data, files, tools,
 *   reasoning, step markers) are not content and are skipped;
 * - a text part this route marked superseded (a draft the final answer replaced, see
 *   `ui-message-chunks.ts`) is skipped, so the next turn sees only what the answer became;
 * - a message left with no text (an aborted answer, data parts only) is dropped;
 * - the last message must be the user's, with text.
 *
 * Every shape problem is reported at once (400 `invalid_request`). `id`, `trigger` and
 * `messageId` are not needed: the server keeps no chat state, `regenerate-message` already sends
 * the conversation without the answer to redo, and resuming a stream is not supported.
 */
import * as E from 'fp-ts/Either';
import { HttpError } from '../http-error';
import { SUPERSEDED_METADATA_KEY } from './ui-message-chunks';

/** One turn of a conversation (the shape `plugin.process` takes, DESIGN section 10). */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

const HAS_TEXT = /\S/;

const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for a text part whose `providerMetadata` says a later text part replaced it. */
const isSuperseded = (part: Record<string, unknown>): boolean => {
  const metadata = part.providerMetadata;
  return isObject(metadata) && isObject(metadata[SUPERSEDED_METADATA_KEY]) && metadata[SUPERSEDED_METADATA_KEY].superseded === true;
};

/** The text of one message, or the problem with it. */
const messageText = (message: unknown, where: string): E.Either<string, { role: ChatMessage['role']; content: string }> => {
  if (!isObject(message)) return E.left(`${where} must be an object`);
  const { role, parts } = message;
  if (typeof role !== 'string' || !ROLES.has(role)) return E.left(`${where}.role must be 'system', 'user' or 'assistant'`);
  if (!Array.isArray(parts)) return E.left(`${where}.parts must be an array`);
  const texts: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (!isObject(part) || typeof part.type !== 'string') return E.left(`${where}.parts[${i}] must be an object with a string type`);
    if (part.type !== 'text') continue;
    if (typeof part.text !== 'string') return E.left(`${where}.parts[${i}].text must be a string`);
    if (!isSuperseded(part)) texts.push(part.text);
  }
  return E.right({ role: role as ChatMessage['role'], content: texts.join('\n') });
};

/**
 * The conversation in `messages` (a `useChat` request's `UIMessage[]`), or every problem with it.
 * Pure; see the module comment for what is kept.
 */
export const toChatMessages = (messages: unknown): E.Either<readonly string[], readonly ChatMessage[]> => {
  if (!Array.isArray(messages) || messages.length === 0) return E.left(['messages must be a non-empty array of UI messages { id, role, parts }']);
  const problems: string[] = [];
  const decoded: ChatMessage[] = [];
  for (const [i, message] of messages.entries()) {
    const text = messageText(message, `messages[${i}]`);
    if (E.isLeft(text)) problems.push(text.left);
    else decoded.push(text.right);
  }
  if (problems.length > 0) return E.left(problems);
  const last = decoded[decoded.length - 1];
  if (last.role !== 'user' || !HAS_TEXT.test(last.content)) return E.left(['the last message must be the user\'s, with a text part']);
  return E.right(decoded.filter((message) => HAS_TEXT.test(message.content)));
};

/** The conversation of a `useChat` request body, or the 400 to answer. */
export const decodeUIMessageRequest = (body: unknown): E.Either<HttpError, readonly ChatMessage[]> => {
  if (!isObject(body)) return E.left(new HttpError(400, 'Request body must be a JSON object { "messages": UIMessage[] } (what useChat sends)', 'invalid_request'));
  return E.mapLeft((problems: readonly string[]) => new HttpError(400, problems.join('; '), 'invalid_request'))(toChatMessages(body.messages));
};

/** What the route passes to `plugin.process`: the whole conversation. */
export const pluginInput = (conversation: readonly ChatMessage[]): readonly ChatMessage[] => conversation;
