import { DialoguePlugin } from '../../../src/pipeline/dialogue-plugin';
import { memoryCache } from '../../../src/pipeline/memory-cache';
import { createDialogueServer } from '../../../src/server/create-dialogue-server';
import { openAICompatibleExpert } from '../../../src/sources/openai-compatible-expert';
import { simulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import { fakeOpenAIServer, type FakeOpenAIServer } from '../../support/fake-openai-server';
import { closeServer, EventReader, listen, LogLines, postJson, sseEvents, startDialogueServer, waitFor, type Running } from '../server-fixtures';

const ALICE = 'alice-key-0123456789';
const apiKeys = { [ALICE]: { tenant: 'alice' } };
const as = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
/** Key-shaped strings a hostile upstream might send: an OpenAI project key and a GitHub token. */
const OPENAI_KEY = `sk-proj-${'Ab3dEf6hIj9kLm2nOp5qRs8t'}`;
const GITHUB_TOKEN = `ghp_${'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'}`;

describe('the request log', () => {
  let running: Running | undefined;
  let log: LogLines;
  beforeEach(() => {
    log = new LogLines();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('writes one JSON line per request: id, tenant, route, status, outcome, TTFT, total ms, cache hit, tokens', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'one two three' })], cache: memoryCache() }, { apiKeys, log: { destination: log } });
    await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: 'The secret plan?', requestId: 'r1' }, as(ALICE)));
    await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: 'The secret plan?', requestId: 'r2' }, as(ALICE)));
    await waitFor(() => log.requests.length === 2);
    expect(log.requests[0]).toEqual({
      level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), pid: process.pid, hostname: expect.any(String), msg: 'request',
      method: 'POST', route: '/api/dialogue', status: 200, ms: expect.any(Number), tenant: 'alice', requestId: 'r1',
      outcome: 'complete', ttftMs: expect.any(Number), cacheHit: false, tokens: 3,
    });
    expect(log.requests[1]).toEqual(expect.objectContaining({ requestId: 'r2', outcome: 'complete', cacheHit: true, tokens: 0 }));
    expect(log.raw.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const all = log.raw.join('');
    expect(all).not.toContain(ALICE);
    expect(all).not.toContain('secret plan');
  });

  it('says how each request ended: refused, error, cancelled, or the client left', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'slow', answer: 'one two', tokenDelayMs: 60_000 })], guard: noGuard }, { apiKeys, log: { destination: log } });
    expect((await fetch(`${running.origin}/v1/models`, { headers: as('wrong-key-0123456789') })).status).toBe(401);
    await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: ' ' }, as(ALICE)));
    const cancelled = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go', requestId: 'c' }, as(ALICE)));
    await cancelled.until('token');
    await fetch(`${running.origin}/api/cancel/c`, { method: 'POST', headers: as(ALICE) });
    await cancelled.all();
    const leaving = new AbortController();
    const left = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go on', requestId: 'l' }, as(ALICE), leaving.signal));
    await left.until('token');
    leaving.abort();
    await waitFor(() => log.requests.length === 5);
    const byRoute = log.requests.map(({ route, status, outcome, errorKind, requestId, tenant }) => ({ route, status, outcome, errorKind, requestId, tenant }));
    expect(byRoute).toEqual(expect.arrayContaining([
      { route: '/v1/models', status: 401, outcome: 'error', errorKind: undefined, requestId: undefined, tenant: undefined },
      { route: '/api/dialogue', status: 200, outcome: 'error', errorKind: 'validation', requestId: expect.any(String), tenant: 'alice' },
      { route: '/api/cancel/:requestId', status: 204, outcome: 'complete', errorKind: undefined, requestId: 'c', tenant: 'alice' },
      { route: '/api/dialogue', status: 200, outcome: 'cancelled', errorKind: undefined, requestId: 'c', tenant: 'alice' },
      { route: '/api/dialogue', status: 200, outcome: 'client-left', errorKind: undefined, requestId: 'l', tenant: 'alice' },
    ]));
  });

  it('logs at the configured level: none of the request lines at warn, an error line for a 500', async () => {
    const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], cache: false });
    const broken = { ...plugin, active: () => plugin.active(), expertHealth: () => plugin.expertHealth(), cancel: (id: string) => plugin.cancel(id),
      process: () => { throw new Error(`upstream said Authorization: Bearer ${OPENAI_KEY}`); } };
    const reported: unknown[] = [];
    const server = createDialogueServer({ plugin: broken, log: { level: 'warn', destination: log }, onError: (error) => reported.push(error) });
    const port = await listen(server);
    try {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await postJson(`http://127.0.0.1:${port}/api/dialogue`, { prompt: 'hi' })).status).toBe(500);
      await waitFor(() => log.lines.length === 2);
      expect(log.lines).toEqual([
        expect.objectContaining({ level: 'error', msg: 'route error', error: { type: 'Error', message: 'upstream said Authorization: Bearer [REDACTED:token]' } }),
        expect.objectContaining({ level: 'error', msg: 'request', route: '/api/dialogue', status: 500 }),
      ]);
      expect(reported).toHaveLength(1);
    } finally {
      await closeServer(server);
      await plugin.close();
    }
  });

  it('redacts a secret a client puts where the log would show it, and stays valid JSON', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { log: { destination: log } });
    await sseEvents(await postJson(`${running.origin}/api/dialogue`, { prompt: 'hi', requestId: OPENAI_KEY }));
    await fetch(`${running.origin}/api/cancel/${GITHUB_TOKEN}`, { method: 'POST' });
    await waitFor(() => log.requests.length === 2);
    expect(log.requests.map((line) => line.requestId)).toEqual(['[REDACTED:api-key]', '[REDACTED:api-key]']);
    expect(log.raw.join('')).not.toMatch(/sk-proj-|ghp_/);
  });

  describe('with an upstream that puts key-shaped strings in its stream errors', () => {
    let upstream: FakeOpenAIServer;
    afterEach(() => upstream.close());

    it('lets none of them reach a log line or a response', async () => {
      const hostile = `data: ${JSON.stringify({ error: { code: OPENAI_KEY, type: GITHUB_TOKEN, message: `invalid key ${OPENAI_KEY}` } })}\n\n`;
      upstream = await fakeOpenAIServer(Array.from({ length: 4 }, () => ({ writes: [hostile] })));
      const systemErrors: unknown[] = [];
      running = await startDialogueServer({
        experts: [openAICompatibleExpert({ baseURL: upstream.baseURL, model: 'm', apiKey: 'sk-upstream-key-0123456789' })],
        retry: { maxRetries: 0 },
        onSystemError: (error) => systemErrors.push(error),
      }, { apiKeys, log: { destination: log, level: 'trace' } });
      const dialogue = await (await postJson(`${running.origin}/api/dialogue`, { prompt: 'hi' }, as(ALICE))).text();
      const chat = await (await postJson(`${running.origin}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: [{ role: 'user', content: 'hi' }] }, as(ALICE))).text();
      await waitFor(() => log.requests.length === 2);
      expect(log.requests.map((line) => line.outcome)).toEqual(['error', 'error']);
      // The expert does not quote an upstream's error code or type unless it is code-shaped, so not even
      // the pipeline's own hook sees them (what the serve CLI prints of it is redacted as well).
      expect(systemErrors.map(String)).toContain('ExpertError: The server reported an error in the stream');
      for (const error of systemErrors) expect(String(error)).not.toMatch(/sk-proj-|ghp_/);
      for (const text of [log.raw.join(''), dialogue, chat]) {
        expect(text).not.toContain(OPENAI_KEY);
        expect(text).not.toContain(GITHUB_TOKEN);
        expect(text).not.toContain('sk-upstream');
      }
    });
  });
});
