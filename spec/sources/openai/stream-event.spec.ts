import { ExpertError } from '../../../src/errors';
import { readStreamEvent, streamError } from '../../../src/sources/openai/stream-event';

describe('readStreamEvent', () => {
  it('reads a token, the end of the answer, [DONE] and the usage chunk', () => {
    expect(readStreamEvent('a', '{"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}')).toEqual({ _tag: 'data', text: 'Hel', end: false });
    expect(readStreamEvent('a', '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}')).toEqual({ _tag: 'data', text: '', end: true });
    expect(readStreamEvent('a', '[DONE]')).toEqual({ _tag: 'data', text: '', end: true, done: true });
    expect(readStreamEvent('a', '{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}'))
      .toEqual({ _tag: 'data', text: '', end: false, usage: { inputTokens: 7, outputTokens: 3 } });
  });

  it('reports malformed data as a protocol failure the caller may forgive', () => {
    const step = readStreamEvent('a', '{"choi');
    expect(step._tag === 'failure' && step.malformed && step.error.failure).toBe('protocol');
  });
});

describe('streamError', () => {
  it('quotes an error code, and is retriable for overloads and 5xx', () => {
    const error = streamError('a', { type: 'server_error', code: 'rate_limit_exceeded' });
    expect(ExpertError.isInstance(error) && error.message).toBe('The server reported an error in the stream (rate_limit_exceeded)');
    expect(error.retriable).toBe(true);
    expect(streamError('a', { code: 503 }).message).toBe('The server reported an error in the stream (503)');
    expect(streamError('a', { code: 'invalid_request_error' }).retriable).toBe(false);
  });

  it('never quotes free text or anything key-shaped that a provider put in the code or type', () => {
    for (const code of ['sk-proj-4f9XbQ2mZk81LwPq', 'AKIAIOSFODNN7EXAMPLE', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'your prompt was: hello', 'x'.repeat(40)]) {
      const error = streamError('a', { code, type: code });
      expect(error.message).toBe('The server reported an error in the stream');
    }
  });
});
