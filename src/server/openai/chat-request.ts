/**
 * Decodes an OpenAI chat completions request body into what the pipeline needs: the whole
 * conversation (`decodeChatMessages`), the generation params (`decodeChatParams`), the model and
 * the stream flags. Every problem is reported at once, in one 400: `unsupported_parameter` (with
 * `param`, the first refused one) when a parameter cannot be honoured (`chat-unsupported.ts`),
 * else `invalid_request`. A model not in the server's list is a 404, as OpenAI does.
 */
import * as E from 'fp-ts/Either';
import type { ChatMessage, GenerationParams } from '../../index';
import { HttpError } from '../http-error';
import { decodeChatMessages } from './chat-messages';
import { decodeChatParams } from './chat-params';
import { unsupportedParameters } from './chat-unsupported';
import { isObject } from './json-shape';

/** A decoded request. */
export interface ChatRequest {
  readonly model: string;
  /** The conversation; the last message is the user's. */
  readonly messages: readonly ChatMessage[];
  /** Only the fields the request carried. */
  readonly params: GenerationParams;
  readonly stream: boolean;
  /** `stream_options.include_usage`: send a usage chunk before `[DONE]`. */
  readonly includeUsage: boolean;
}

/** The request, or the HttpError to answer (400 with every problem, or 404 for an unknown model). */
export const decodeChatRequest = (body: unknown, models: readonly string[]): E.Either<HttpError, ChatRequest> => {
  if (!isObject(body)) return E.left(new HttpError(400, 'Request body must be a JSON object', 'invalid_request'));
  const problems: string[] = [];
  const { model, stream = false, stream_options: streamOptions } = body;
  if (typeof model !== 'string' || model === '') problems.push('model must be a non-empty string');
  if (typeof stream !== 'boolean') problems.push('stream must be a boolean');
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) problems.push('stream_options must be an object');
  else if (isObject(streamOptions) && stream !== true) problems.push('stream_options is only allowed with stream: true');
  const messages = decodeChatMessages(body.messages, problems);
  const params = decodeChatParams(body, problems);
  const unsupported = unsupportedParameters(body);
  if (unsupported.length > 0) {
    const message = [...unsupported.map((u) => u.message), ...problems].join('; ');
    return E.left(new HttpError(400, message, 'unsupported_parameter', {}, unsupported[0].param));
  }
  if (problems.length > 0 || messages === undefined) return E.left(new HttpError(400, problems.join('; '), 'invalid_request'));
  const name = model as string;
  if (!models.includes(name)) {
    return E.left(new HttpError(404, `The model '${name.slice(0, 100)}' does not exist; GET /v1/models lists the available ones`, 'model_not_found'));
  }
  const includeUsage = isObject(streamOptions) && streamOptions.include_usage === true;
  return E.right({ model: name, messages, params, stream: stream as boolean, includeUsage });
};
