import * as E from 'fp-ts/Either';
import { decodeChatRequest } from '../../../src/server/openai/chat-request';

const MODELS = ['dialogue-pipeline'];
const user = [{ role: 'user', content: 'hi' }];
const problem = (body: unknown) => {
  const decoded = decodeChatRequest(body, MODELS);
  return E.isLeft(decoded) ? { status: decoded.left.status, message: decoded.left.message, code: decoded.left.code, param: decoded.left.param } : undefined;
};
const decoded = (body: Record<string, unknown>) => {
  const result = decodeChatRequest({ model: 'dialogue-pipeline', messages: user, ...body }, MODELS);
  return E.isRight(result) ? result.right : result.left.message;
};

describe('decodeChatRequest', () => {
  it('keeps the whole conversation, mapping developer to system and joining text parts', () => {
    expect(decodeChatRequest({
      model: 'dialogue-pipeline',
      messages: [
        { role: 'developer', content: 'dev' }, { role: 'system', content: 'sys' }, { role: 'user', content: 'first' },
        { role: 'assistant', content: null }, { role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'user', content: 'last', name: 'ignored' },
      ],
    }, MODELS)).toEqual(E.right({
      model: 'dialogue-pipeline', stream: false, includeUsage: false, params: {},
      messages: [
        { role: 'system', content: 'dev' }, { role: 'system', content: 'sys' }, { role: 'user', content: 'first' },
        { role: 'assistant', content: '' }, { role: 'assistant', content: 'a\nb' }, { role: 'user', content: 'last' },
      ],
    }));
  });

  it('reads stream and stream_options', () => {
    expect(decoded({ stream: true, stream_options: { include_usage: true } })).toEqual(expect.objectContaining({ stream: true, includeUsage: true }));
    expect(decoded({ stream: true, stream_options: null })).toEqual(expect.objectContaining({ stream: true, includeUsage: false }));
  });

  it('maps the sampling fields to generation params, null meaning absent', () => {
    expect(decoded({ max_tokens: 50, temperature: 0, top_p: 1, stop: 'END', seed: 7, user: 'u-1' })).toEqual(expect.objectContaining({
      params: { maxTokens: 50, temperature: 0, topP: 1, stop: ['END'], seed: 7 },
    }));
    expect(decoded({ max_completion_tokens: 9, stop: ['a', 'b'], temperature: null, seed: null, user: null })).toEqual(expect.objectContaining({
      params: { maxTokens: 9, stop: ['a', 'b'] },
    }));
    expect(decoded({ max_completion_tokens: 9, max_tokens: 9 })).toEqual(expect.objectContaining({ params: { maxTokens: 9 } }));
  });

  it('reports every invalid sampling field at once', () => {
    expect(problem({ model: 'dialogue-pipeline', messages: user, max_tokens: 0, max_completion_tokens: 2.5, temperature: 3, top_p: -0.1, stop: ['', 'x'], seed: 'x', user: 5 })).toEqual({
      status: 400, code: 'invalid_request', param: undefined,
      message: 'max_completion_tokens must be an integer from 1 to 1000000; max_tokens must be an integer from 1 to 1000000; temperature must be a number from 0 to 2; '
        + 'top_p must be a number from 0 to 1; stop must be a non-empty string or an array of at most 4 non-empty strings; seed must be an integer; user must be a string',
    });
    expect(problem({ model: 'dialogue-pipeline', messages: user, stop: ['a', 'b', 'c', 'd', 'e'] })?.message).toBe('stop must be a non-empty string or an array of at most 4 non-empty strings');
    expect(problem({ model: 'dialogue-pipeline', messages: user, max_tokens: 5, max_completion_tokens: 6 })?.message).toBe('max_completion_tokens and max_tokens must agree when both are given');
    expect(problem({ model: 'dialogue-pipeline', messages: user, max_tokens: Number.MAX_SAFE_INTEGER })?.message).toBe('max_tokens must be an integer from 1 to 1000000');
    expect(decoded({ max_tokens: 1_000_000 })).toEqual(expect.objectContaining({ params: { maxTokens: 1_000_000 } }));
  });

  it('refuses stream_options without stream: true, as OpenAI does', () => {
    expect(problem({ model: 'dialogue-pipeline', messages: user, stream_options: { include_usage: true } })?.message).toBe('stream_options is only allowed with stream: true');
    expect(problem({ model: 'dialogue-pipeline', messages: user, stream: false, stream_options: {} })?.message).toBe('stream_options is only allowed with stream: true');
    expect(decoded({ stream: true, stream_options: { include_usage: true } })).toEqual(expect.objectContaining({ stream: true, includeUsage: true }));
    expect(decoded({ stream_options: null })).toEqual(expect.objectContaining({ stream: false, includeUsage: false }));
  });

  it.each([
    ['n', { n: 2 }, 'n must be 1: the server returns one answer per request'],
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools are not supported'],
    ['tool_choice', { tool_choice: 'auto' }, "tool_choice must be 'none' (tools are not supported)"],
    ['response_format', { response_format: { type: 'json_object' } }, "response_format must be { type: 'text' } (JSON modes are not supported)"],
    ['logprobs', { logprobs: true }, 'logprobs are not supported'],
    ['top_logprobs', { top_logprobs: 3 }, 'top_logprobs are not supported'],
    ['frequency_penalty', { frequency_penalty: 2 }, 'frequency_penalty is not supported'],
    ['presence_penalty', { presence_penalty: -1 }, 'presence_penalty is not supported'],
    ['logit_bias', { logit_bias: { 50256: -100 } }, 'logit_bias is not supported'],
    ['modalities', { modalities: ['text', 'audio'] }, "modalities must be ['text'] (audio is not supported)"],
    ['audio', { audio: { voice: 'alloy', format: 'wav' } }, 'audio output is not supported'],
    ['prediction', { prediction: { type: 'content', content: 'x' } }, 'predicted outputs are not supported'],
    ['reasoning_effort', { reasoning_effort: 'high' }, 'reasoning_effort is not supported'],
    ['web_search_options', { web_search_options: {} }, 'web search is not supported'],
  ])('refuses %s with 400 unsupported_parameter naming it', (param, body, message) => {
    expect(problem({ model: 'dialogue-pipeline', messages: user, ...body })).toEqual({ status: 400, code: 'unsupported_parameter', param, message });
  });

  it('accepts the values of those parameters that ask for nothing unsupported', () => {
    expect(decoded({ n: 1, tools: [], tool_choice: 'none', response_format: { type: 'text' }, logprobs: false, top_logprobs: 0 })).toEqual(expect.objectContaining({ model: 'dialogue-pipeline' }));
    expect(decoded({ frequency_penalty: 0, presence_penalty: 0, logit_bias: {}, modalities: ['text'], store: false, metadata: { a: 'b' }, service_tier: 'auto', parallel_tool_calls: true }))
      .toEqual(expect.objectContaining({ model: 'dialogue-pipeline' }));
    expect(decoded({ n: null, tools: null, tool_choice: null, response_format: null, logprobs: null, top_logprobs: null })).toEqual(expect.objectContaining({ model: 'dialogue-pipeline' }));
  });

  it('lists the other problems after the unsupported parameters, naming the first as param', () => {
    expect(problem({ model: 'dialogue-pipeline', messages: user, logprobs: true, n: 3, temperature: 9 })).toEqual({
      status: 400, code: 'unsupported_parameter', param: 'n',
      message: 'n must be 1: the server returns one answer per request; logprobs are not supported; temperature must be a number from 0 to 2',
    });
  });

  it('reports every shape problem at once as a 400', () => {
    expect(problem({ model: 3, stream: 'yes', messages: 'hi' })).toEqual({
      status: 400, code: 'invalid_request', param: undefined, message: 'model must be a non-empty string; stream must be a boolean; messages must be a non-empty array',
    });
    expect(problem([])).toEqual({ status: 400, code: 'invalid_request', param: undefined, message: 'Request body must be a JSON object' });
    expect(problem({ model: 'dialogue-pipeline', messages: [{ content: 'x' }, ...user] })?.message).toBe('messages[0] must be an object with a string role');
    expect(problem({ model: 'dialogue-pipeline', messages: [{ role: 'tool', content: 'x' }, ...user] })?.message).toBe('messages[0].role must be one of system, developer, user, assistant');
    expect(problem({ model: 'dialogue-pipeline', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] })?.message)
      .toBe('messages[0].content[0] must be a text part { "type": "text", "text": string } (other parts are not supported)');
    expect(problem({ model: 'dialogue-pipeline', messages: [{ role: 'user', content: null }] })?.message).toBe('messages[0].content must be a string or an array of text parts');
    expect(problem({ model: 'dialogue-pipeline', messages: [{ role: 'system', content: null }, { role: 'user', content: 1 }, { role: 'assistant', content: 'a' }] })?.message).toBe(
      "messages[0].content must be a string or an array of text parts; messages[1].content must be a string or an array of text parts; the last message must be the user's (its content is the prompt), not assistant",
    );
  });

  it('answers an unknown model with 404 model_not_found', () => {
    expect(problem({ model: 'gpt-4o', messages: user })).toEqual({
      status: 404, code: 'model_not_found', param: undefined, message: "The model 'gpt-4o' does not exist; GET /v1/models lists the available ones",
    });
  });
});
