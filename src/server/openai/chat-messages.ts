/**
 * Decodes the `messages` of an OpenAI chat completions request into the pipeline's conversation.
 * Roles: `system`, `user`, `assistant`, and `developer` (OpenAI's newer name for a system
 * message, mapped to `system`); `tool`/`function` messages are refused (tools are not supported).
 * Content: a string, or an array of text parts (joined with "\n"); an assistant message's content
 * may be null or absent (read as ""). The last message must be the user's: it is the prompt.
 */
import type { ChatMessage, ChatRole } from '../../index';
import { isObject } from './json-shape';

const ROLES: Readonly<Record<string, ChatRole>> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

/** The text of a message's content, or pushes the problem with it and answers undefined. */
const contentText = (content: unknown, role: ChatRole, where: string, problems: string[]): string | undefined => {
  if (typeof content === 'string') return content;
  if (role === 'assistant' && (content === null || content === undefined)) return '';
  if (!Array.isArray(content)) {
    problems.push(`${where} must be a string or an array of text parts`);
    return undefined;
  }
  const texts: string[] = [];
  for (const [i, part] of content.entries()) {
    if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
      problems.push(`${where}[${i}] must be a text part { "type": "text", "text": string } (other parts are not supported)`);
      return undefined;
    }
    texts.push(part.text);
  }
  return texts.join('\n');
};

/** The conversation, or undefined after pushing every problem found to `problems`. */
export const decodeChatMessages = (messages: unknown, problems: string[]): ChatMessage[] | undefined => {
  if (!Array.isArray(messages) || messages.length === 0) {
    problems.push('messages must be a non-empty array');
    return undefined;
  }
  const before = problems.length;
  const decoded: ChatMessage[] = [];
  for (const [i, message] of messages.entries()) {
    if (!isObject(message) || typeof message.role !== 'string') {
      problems.push(`messages[${i}] must be an object with a string role`);
      continue;
    }
    const role = Object.prototype.hasOwnProperty.call(ROLES, message.role) ? ROLES[message.role] : undefined;
    if (role === undefined) {
      problems.push(`messages[${i}].role must be one of system, developer, user, assistant`);
      continue;
    }
    const content = contentText(message.content, role, `messages[${i}].content`, problems);
    if (content !== undefined) decoded.push({ role, content });
  }
  const last: unknown = messages[messages.length - 1];
  if (isObject(last) && typeof last.role === 'string' && last.role !== 'user') {
    problems.push(`the last message must be the user's (its content is the prompt), not ${last.role.slice(0, 20)}`);
  }
  return problems.length === before ? decoded : undefined;
};
