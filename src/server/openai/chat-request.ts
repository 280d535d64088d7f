/**
 * Decodes an OpenAI chat completions request body into what the pipeline needs. The prompt is
 * the LAST `user` message's content: a string, or an array of text parts (joined with "\n");
 * earlier messages (system prompt, history) and sampling options (`temperature`, `max_tokens`,
 * `n`, ...) are ignored, since the experts and their parameters are the server's. Every shape
 * problem is reported at once (400); a model not in the server's list is a 404, as OpenAI does.
 */
import * as E from 'fp-ts/Either';
import { HttpError } from '../http-error';

/** A decoded request. */
export interface ChatRequest {
  readonly model: string;
  readonly prompt: string;
  readonly stream: boolean;
  /** `stream_options.include_usage`: send a usage chunk before `[DONE]`. */
  readonly includeUsage: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The text of a message's content, or the problem with it. */
const contentText = (content: unknown, where: string): E.Either<string, string> => {
  if (typeof content === 'string') return E.right(content);
  if (!Array.isArray(content)) return E.left(`${where} must be a string or an array of text parts`);
  const texts: string[] = [];
  for (const [i, part] of content.entries()) {
    if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string') {
      return E.left(`${where}[${i}] must be a text part { "type": "text", "text": string } (other parts are not supported)`);
    }
    texts.push(part.text);
  }
  return E.right(texts.join('\n'));
};

const lastUserContent = (messages: unknown, problems: string[]): string | undefined => {
  if (!Array.isArray(messages) || messages.length === 0) {
    problems.push('messages must be a non-empty array');
    return undefined;
  }
  if (messages.some((message) => !isObject(message) || typeof message.role !== 'string')) {
    problems.push('every message must be an object with a string role');
    return undefined;
  }
  let index = messages.length - 1;
  while (index >= 0 && (messages[index] as Record<string, unknown>).role !== 'user') index--;
  if (index === -1) {
    problems.push('messages must contain a user message (its content is the prompt)');
    return undefined;
  }
  const text = contentText((messages[index] as Record<string, unknown>).content, `messages[${index}].content`);
  if (E.isLeft(text)) problems.push(text.left);
  return E.isRight(text) ? text.right : undefined;
};

/** The request, or the HttpError to answer (400 with every problem, or 404 for an unknown model). */
export const decodeChatRequest = (body: unknown, models: readonly string[]): E.Either<HttpError, ChatRequest> => {
  if (!isObject(body)) return E.left(new HttpError(400, 'Request body must be a JSON object', 'invalid_request'));
  const problems: string[] = [];
  const { model, stream = false, stream_options: streamOptions } = body;
  if (typeof model !== 'string' || model === '') problems.push('model must be a non-empty string');
  if (typeof stream !== 'boolean') problems.push('stream must be a boolean');
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) problems.push('stream_options must be an object');
  const prompt = lastUserContent(body.messages, problems);
  if (problems.length > 0 || prompt === undefined) return E.left(new HttpError(400, problems.join('; '), 'invalid_request'));
  const name = model as string;
  if (!models.includes(name)) {
    return E.left(new HttpError(404, `The model '${name.slice(0, 100)}' does not exist; GET /v1/models lists the available ones`, 'model_not_found'));
  }
  const includeUsage = isObject(streamOptions) && streamOptions.include_usage === true;
  return E.right({ model: name, prompt, stream: stream as boolean, includeUsage });
};
