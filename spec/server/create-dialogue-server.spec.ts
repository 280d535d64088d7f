import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { createDialogueServer } from '../../src/server/create-dialogue-server';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { closeServer, listen, postJson, startDialogueServer, type Running } from './server-fixtures';

const expert = () => simulatedExpert({ id: 'a', answer: 'The answer is forty-two.' });

describe('createDialogueServer', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  describe('routes', () => {
    beforeEach(async () => {
      running = await startDialogueServer({ experts: [expert()] });
    });

    it('answers GET /healthz with 200 { status: ok }', async () => {
      const response = await fetch(`${running!.origin}/healthz`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('serves a placeholder HTML page at GET /', async () => {
      const response = await fetch(`${running!.origin}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await response.text()).toContain('<h1>dialogue-pipeline</h1>');
    });

    it('answers HEAD like GET, without a body', async () => {
      const response = await fetch(`${running!.origin}/healthz`, { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    });

    it('lists the default model at GET /v1/models', async () => {
      const response = await fetch(`${running!.origin}/v1/models`);
      expect(response.status).toBe(200);
      const body = await response.json() as { object: string; data: Array<{ id: string; object: string; created: number; owned_by: string }> };
      expect(body).toEqual({ object: 'list', data: [{ id: 'dialogue-pipeline', object: 'model', created: expect.any(Number), owned_by: 'dialogue-pipeline' }] });
      expect(Math.abs(body.data[0].created - Date.now() / 1000)).toBeLessThan(60);
    });

    it('answers an unknown route with 404 and a JSON error body', async () => {
      const response = await fetch(`${running!.origin}/nope?x=1`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { message: 'No route for GET /nope', type: 'not_found_error', code: 'not_found' } });
      expect((await fetch(`${running!.origin}/api/cancel/`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${running!.origin}/healthz/`)).status).toBe(404);
    });

    it('answers a wrong method with 405 and Allow', async () => {
      const get = await fetch(`${running!.origin}/api/dialogue`);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      expect(await get.json()).toEqual({ error: { message: 'Method GET is not allowed here; use POST', type: 'invalid_request_error', code: 'method_not_allowed' } });
      const post = await fetch(`${running!.origin}/healthz`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      const options = await fetch(`${running!.origin}/v1/chat/completions`, { method: 'OPTIONS' });
      expect(options.status).toBe(405);
      expect(options.headers.get('allow')).toBe('POST');
    });
  });

  it('lists the configured models', async () => {
    running = await startDialogueServer({ experts: [expert()] }, { models: ['m1', 'm2'] });
    const body = await (await fetch(`${running.origin}/v1/models`)).json() as { data: Array<{ id: string }> };
    expect(body.data.map((model) => model.id)).toEqual(['m1', 'm2']);
  });

  it('answers an unexpected failure with a generic 500 and reports it to onError', async () => {
    const plugin = new DialoguePlugin({ experts: [expert()], cache: false });
    const reported: unknown[] = [];
    const broken = {
      process: () => {
        throw new Error('secret internals at /srv/app.ts:12');
      },
      cancel: (id: string) => plugin.cancel(id),
      active: () => plugin.active(),
      expertHealth: () => plugin.expertHealth(),
    };
    const server = createDialogueServer({ plugin: broken, onError: (error) => reported.push(error) });
    const port = await listen(server);
    try {
      const response = await postJson(`http://127.0.0.1:${port}/api/dialogue`, { prompt: 'hi' });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: { message: 'Internal server error', type: 'server_error', code: 'internal_error' } });
      expect(text).not.toContain('secret');
      expect(reported).toEqual([expect.objectContaining({ message: 'secret internals at /srv/app.ts:12' })]);
    } finally {
      await closeServer(server);
      await plugin.close();
    }
  });

  it('refuses bad options with one TypeError naming every problem', () => {
    const plugin = new DialoguePlugin({ experts: [expert()], cache: false });
    expect(() => createDialogueServer({ plugin, apiKey: '', bodyLimitBytes: 0, models: [], cors: { origin: 'a\nb' } })).toThrow(
      new TypeError('createDialogueServer: apiKey must be a non-empty string when given; bodyLimitBytes must be a positive integer; '
        + 'cors.origin must be a non-empty string of printable ASCII; models must be a non-empty array of non-empty strings'),
    );
    expect(() => createDialogueServer({ plugin: {} as DialoguePlugin })).toThrow('plugin must be a DialoguePlugin');
    expect(() => createDialogueServer({ plugin, openAIReasoning: 'no' as unknown as boolean, expertModels: { a: 3 as unknown as string } })).toThrow(
      new TypeError('createDialogueServer: openAIReasoning must be a boolean; expertModels must map expert ids to non-empty model names'),
    );
    return plugin.close();
  });

  describe('authentication', () => {
    const KEY = 'sk-test-0123456789';
    beforeEach(async () => {
      running = await startDialogueServer({ experts: [expert()] }, { apiKey: KEY });
    });

    it.each([
      ['missing', undefined],
      ['wrong', `Bearer ${KEY}x`],
      ['short', 'Bearer s'],
      ['another scheme', `Basic ${KEY}`],
      ['empty bearer', 'Bearer '],
    ])('answers 401 with WWW-Authenticate: Bearer when the key is %s', async (_what, authorization) => {
      const response = await fetch(`${running!.origin}/v1/models`, { headers: authorization === undefined ? {} : { authorization } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toEqual({
        error: { message: 'Missing or invalid API key: send Authorization: Bearer <key>', type: 'authentication_error', code: 'invalid_api_key' },
      });
    });

    it('protects every route but /healthz and the static demo page', async () => {
      const o = running!.origin;
      const statuses = await Promise.all([
        fetch(`${o}/metrics`), fetch(`${o}/v1/models`),
        postJson(`${o}/api/dialogue`, { prompt: 'hi' }), fetch(`${o}/api/cancel/x`, { method: 'POST' }),
        postJson(`${o}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: [{ role: 'user', content: 'hi' }] }),
      ].map((p) => p.then((r) => r.status)));
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      expect((await fetch(`${o}/healthz`)).status).toBe(200);
      expect((await fetch(`${o}/`)).status).toBe(200);
      expect(running!.plugin.active()).toEqual([]);
    });

    it('lets the right key through (scheme in any case)', async () => {
      expect((await fetch(`${running!.origin}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
      expect((await fetch(`${running!.origin}/v1/models`, { headers: { authorization: `bearer ${KEY}` } })).status).toBe(200);
      const response = await postJson(`${running!.origin}/api/dialogue`, { prompt: 'hi' }, { authorization: `Bearer ${KEY}` });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('event: complete');
    });
  });

  describe('CORS', () => {
    it('is off by default: no CORS headers, a foreign origin is refused, OPTIONS is not allowed', async () => {
      running = await startDialogueServer({ experts: [expert()] });
      const response = await fetch(`${running.origin}/healthz`, { headers: { origin: 'https://app.example.com' } });
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${running.origin}/api/dialogue`, {
        method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(403);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const options = await fetch(`${running.origin}/api/dialogue`, { method: 'OPTIONS' });
      expect(options.status).toBe(405);
    });

    it('adds the headers and answers preflights (without a key) when an origin is configured', async () => {
      running = await startDialogueServer({ experts: [expert()] }, { cors: { origin: 'https://app.example.com' }, apiKey: 'k' });
      const preflight = await fetch(`${running.origin}/api/dialogue`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith('access-control-') || name === 'vary'))).toEqual({
        'access-control-allow-origin': 'https://app.example.com',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-expose-headers': 'x-request-id',
        'access-control-max-age': '600',
        vary: 'Origin',
      });
      const denied = await fetch(`${running.origin}/v1/models`, { headers: { origin: 'https://app.example.com' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const allowed = await fetch(`${running.origin}/v1/models`, { headers: { origin: 'https://app.example.com', authorization: 'Bearer k' } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect((await fetch(`${running.origin}/nope`, { method: 'OPTIONS' })).status).toBe(404);
    });
  });
});
