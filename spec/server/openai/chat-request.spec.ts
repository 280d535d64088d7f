import * as E from 'fp-ts/Either';
import { decodeChatRequest } from '../../../src/server/openai/chat-request';

const MODELS = ['dialogue-pipeline'];
const problem = (body: unknown) => {
  const decoded = decodeChatRequest(body, MODELS);
  return E.isLeft(decoded) ? { status: decoded.left.status, message: decoded.left.message, code: decoded.left.code } : undefined;
};

describe('decodeChatRequest', () => {
  it('takes the last user message as the prompt, ignoring the rest', () => {
    expect(decodeChatRequest({
      model: 'dialogue-pipeline', temperature: 0.2,
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'first' }, { role: 'user', content: 'last' }, { role: 'assistant', content: 'a' }],
    }, MODELS)).toEqual(E.right({ model: 'dialogue-pipeline', prompt: 'last', stream: false, includeUsage: false }));
  });

  it('joins text parts with newlines and reads stream and stream_options', () => {
    expect(decodeChatRequest({
      model: 'dialogue-pipeline', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
    }, MODELS)).toEqual(E.right({ model: 'dialogue-pipeline', prompt: 'a\nb', stream: true, includeUsage: true }));
  });

  it('reports every shape problem at once as a 400', () => {
    expect(problem({ model: 3, stream: 'yes', messages: 'hi' })).toEqual({
      status: 400, code: 'invalid_request', message: 'model must be a non-empty string; stream must be a boolean; messages must be a non-empty array',
    });
    expect(problem([])).toEqual({ status: 400, code: 'invalid_request', message: 'Request body must be a JSON object' });
    expect(problem({ model: 'dialogue-pipeline', messages: [{ content: 'x' }] })?.message).toBe('every message must be an object with a string role');
    expect(problem({ model: 'dialogue-pipeline', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })?.message)
      .toBe('messages[0].content[0] must be a text part { "type": "text", "text": string } (other parts are not supported)');
    expect(problem({ model: 'dialogue-pipeline', messages: [{ role: 'user', content: null }] })?.message).toBe('messages[0].content must be a string or an array of text parts');
  });

  it('answers an unknown model with 404 model_not_found', () => {
    expect(problem({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).toEqual({
      status: 404, code: 'model_not_found', message: "The model 'gpt-4o' does not exist; GET /v1/models lists the available ones",
    });
  });
});
