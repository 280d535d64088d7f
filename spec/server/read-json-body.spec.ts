import { request } from 'node:http';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { postJson, sseEvents, startDialogueServer, type Running } from './server-fixtures';

const LIMIT = 100;

describe('readJsonBody (through POST /api/dialogue)', () => {
  let running: Running;
  beforeEach(async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'ok then' })] }, { bodyLimitBytes: LIMIT });
  });
  afterEach(() => running.close());

  const url = (): string => `${running.origin}/api/dialogue`;

  it.each([
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['JSON in another charset', 'application/json; charset=latin1'],
  ])('answers 415 for %s', async (_what, type) => {
    const response = await postJson(url(), { prompt: 'hi' }, { 'content-type': type });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', code: 'unsupported_media_type' }) });
  });

  it('answers 415 when there is no content type', async () => {
    const response = await fetch(url(), { method: 'POST', body: new Blob(['{"prompt":"hi"}']) });
    expect(response.status).toBe(415);
  });

  it('accepts application/json with a UTF-8 charset and +json types', async () => {
    for (const type of ['application/json; charset=UTF-8', 'application/merge-patch+json', 'Application/JSON']) {
      const response = await postJson(url(), { prompt: 'hi' }, { 'content-type': type });
      expect(response.status).toBe(200);
      expect((await sseEvents(response)).at(-1)).toEqual(expect.objectContaining({ type: 'complete', text: 'ok then' }));
    }
  });

  it('answers 400 with the parser message for bad JSON', async () => {
    const response = await postJson(url(), '{"prompt": "hi",}');
    expect(response.status).toBe(400);
    const body = await response.json() as { error: { message: string; code: string } };
    expect(body.error.code).toBe('invalid_json');
    expect(body.error.message).toMatch(/^Request body is not valid JSON: .+/);
  });

  it.each([
    ['an empty body', '', 'Request body is empty; expected a JSON object'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'Request body is not valid UTF-8'],
    ['an array', '["hi"]', 'Request body must be a JSON object { "prompt": string } or { "messages": [{ "role", "content" }, ...] }, with "params"?, "requestId"?, "scope"?'],
  ])('answers 400 for %s', async (_what, body, message) => {
    const response = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(message);
  });

  it('accepts a body of exactly the limit', async () => {
    const body = JSON.stringify({ prompt: 'x'.repeat(LIMIT - 13) });
    expect(Buffer.byteLength(body)).toBe(LIMIT);
    const response = await postJson(url(), body);
    expect(response.status).toBe(200);
    expect((await sseEvents(response)).at(-1)?.type).toBe('complete');
  });

  it('answers 413 for a declared length over the limit, without reading it', async () => {
    const response = await postJson(url(), { prompt: 'x'.repeat(LIMIT) });
    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ error: { message: `Request body is larger than ${LIMIT} bytes`, type: 'invalid_request_error', code: 'body_too_large' } });
  });

  it('answers 413 as soon as a chunked body passes the limit, while the client is still sending', async () => {
    const req = request(`${url()}`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    const answered = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      req.once('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => (body += text));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      });
      req.once('error', reject);
    });
    req.write(`{"prompt":"${'x'.repeat(LIMIT)}`); // the request is never ended: the answer cannot wait for the end
    const { status, connection, body } = await answered;
    req.destroy();
    expect(status).toBe(413);
    expect(connection).toBe('close');
    expect(JSON.parse(body)).toEqual({ error: expect.objectContaining({ code: 'body_too_large' }) });
    expect(running.plugin.active()).toEqual([]);
  });
});
