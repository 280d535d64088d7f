import type { PipelineEvent } from '../../../src/events';
import { memoryCache } from '../../../src/pipeline/memory-cache';
import { createDialogueServer } from '../../../src/server/create-dialogue-server';
import { simulatedExpert, type SimulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import { EventReader, postJson, series, sseEvents, startDialogueServer, type Running } from '../server-fixtures';

const ALICE = 'alice-key-0123456789';
const ALICE_2 = 'alice-second-key-0123';
const BOB = 'bob-key-0123456789';
const METRICS = 'metrics-key-0123456789';
const apiKeys = { [ALICE]: { tenant: 'alice' }, [ALICE_2]: { tenant: 'alice' }, [BOB]: { tenant: 'bob' } };
const as = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** Streams its first token at once, then waits a minute per token: in flight until cancelled. */
const slowExpert = (): SimulatedExpert => simulatedExpert({ id: 'slow', answer: 'one two three', tokenDelayMs: 60_000 });

const chatBody = (content: string, stream = false) => ({ model: 'dialogue-pipeline', messages: [{ role: 'user', content }], stream });

describe('tenants', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  describe('cache isolation', () => {
    beforeEach(async () => {
      running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'Alice only.' })], cache: memoryCache() }, { apiKeys });
    });

    const ask = async (key: string, body: Record<string, unknown>): Promise<PipelineEvent | undefined> =>
      (await sseEvents(await postJson(`${running!.origin}/api/dialogue`, body, as(key)))).at(-1);

    it('never serves one tenant\'s cached answer to another, whatever scope the body names', async () => {
      expect(await ask(ALICE, { prompt: 'Secret?' })).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
      expect(await ask(ALICE_2, { prompt: 'Secret?' })).toEqual(expect.objectContaining({ type: 'complete', fromCache: true }));
      expect(await ask(BOB, { prompt: 'Secret?' })).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
      expect(await ask(BOB, { prompt: 'Secret?', scope: 'alice' })).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
      expect(await ask(BOB, { prompt: 'Secret?', scope: '../alice' })).toEqual(expect.objectContaining({ type: 'complete', fromCache: false }));
    });

    it('lets a body scope narrow the tenant\'s scope, not widen it', async () => {
      expect(await ask(ALICE, { prompt: 'Q?', scope: 'project-1' })).toEqual(expect.objectContaining({ fromCache: false }));
      expect(await ask(ALICE, { prompt: 'Q?', scope: 'project-1' })).toEqual(expect.objectContaining({ fromCache: true }));
      expect(await ask(ALICE, { prompt: 'Q?' })).toEqual(expect.objectContaining({ fromCache: false }));
      expect(await ask(BOB, { prompt: 'Q?', scope: 'project-1' })).toEqual(expect.objectContaining({ fromCache: false }));
    });

    it('isolates /v1/chat/completions the same way', async () => {
      const chat = async (key: string) => {
        const response = await postJson(`${running!.origin}/v1/chat/completions`, chatBody('Chat secret?'), as(key));
        expect(response.status).toBe(200);
        return (await response.json() as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
      };
      expect(await chat(ALICE)).toBe('Alice only.');
      // The chat's cache scope is the tenant, as on /api/dialogue: Alice's dialogue finds it, Bob's does not.
      expect(await ask(ALICE, { prompt: 'Chat secret?' })).toEqual(expect.objectContaining({ fromCache: true }));
      expect(await ask(BOB, { prompt: 'Chat secret?' })).toEqual(expect.objectContaining({ fromCache: false }));
      expect(await chat(BOB)).toBe('Alice only.');
    });
  });

  describe('request ids', () => {
    let expert: SimulatedExpert;
    beforeEach(async () => {
      expert = slowExpert();
      running = await startDialogueServer({ experts: [expert], guard: noGuard }, { apiKeys });
    });

    const open = async (key: string, requestId: string): Promise<EventReader> => {
      const response = await postJson(`${running!.origin}/api/dialogue`, { prompt: 'Go', requestId }, as(key));
      expect(response.status).toBe(200);
      const reader = new EventReader(response);
      await reader.until('token');
      return reader;
    };
    const cancel = (key: string, requestId: string) => fetch(`${running!.origin}/api/cancel/${encodeURIComponent(requestId)}`, { method: 'POST', headers: as(key) });

    it('lets two tenants use the same id at once, each seeing only its own id', async () => {
      const alice = await open(ALICE, 'r1');
      const bob = await open(BOB, 'r1');
      expect(expert.stats.active).toBe(2);
      expect((await cancel(ALICE, 'r1')).status).toBe(204);
      const aliceEvents = await alice.all();
      expect(aliceEvents.every((event) => event.requestId === 'r1')).toBe(true);
      expect(aliceEvents.at(-1)).toEqual({ type: 'cancelled', requestId: 'r1', reason: 'cancelled' });
      expect(expert.stats.active).toBe(1);
      expect((await cancel(BOB, 'r1')).status).toBe(204);
      expect((await bob.all()).at(-1)).toEqual({ type: 'cancelled', requestId: 'r1', reason: 'cancelled' });
      expect(running!.plugin.active()).toEqual([]);
    });

    it('answers another tenant\'s id exactly like an unknown one: the same 404, and the request goes on', async () => {
      const alice = await open(ALICE, 'alice-1');
      const foreign = await cancel(BOB, 'alice-1');
      const unknown = await cancel(BOB, 'never-used');
      const afterEnd = await cancel(ALICE, 'never-used');
      const shape = async (response: Response) => ({
        status: response.status, body: await response.text(),
        headers: [...response.headers].filter(([name]) => name !== 'date'),
      });
      const expected = await shape(unknown);
      expect(expected.status).toBe(404);
      expect(await shape(foreign)).toEqual(expected);
      expect(await shape(afterEnd)).toEqual(expected);
      expect(expert.stats.active).toBe(1);
      expect((await cancel(ALICE_2, 'alice-1')).status).toBe(204);
      expect((await alice.all()).at(-1)).toEqual(expect.objectContaining({ type: 'cancelled' }));
    });

    it('refuses a duplicate id within a tenant only, with the client\'s id in the message', async () => {
      const alice = await open(ALICE, 'dup');
      const again = await sseEvents(await postJson(`${running!.origin}/api/dialogue`, { prompt: 'Go', requestId: 'dup' }, as(ALICE_2)));
      expect(again.at(-1)).toEqual({
        type: 'error', requestId: 'dup',
        error: expect.objectContaining({ kind: 'duplicate-request', message: 'A request with id "dup" is already in flight' }),
      });
      expect(again.every((event) => event.requestId === 'dup')).toBe(true);
      const bob = await open(BOB, 'dup');
      expect(expert.stats.active).toBe(2);
      // Alice's request went on untouched by either.
      expect((await cancel(ALICE, 'dup')).status).toBe(204);
      expect((await alice.all()).at(-1)).toEqual(expect.objectContaining({ type: 'cancelled', requestId: 'dup' }));
      expect((await cancel(BOB, 'dup')).status).toBe(204);
      await bob.all();
    });

    it('frees an id when its request ends, for the same tenant to use again', async () => {
      const first = await open(ALICE, 'again');
      expect((await cancel(ALICE, 'again')).status).toBe(204);
      await first.all();
      const second = await open(ALICE, 'again');
      expect((await cancel(ALICE, 'again')).status).toBe(204);
      expect((await second.all()).at(-1)).toEqual(expect.objectContaining({ type: 'cancelled', requestId: 'again' }));
    });

    it('gives /v1/chat/completions the same per-tenant ids through X-Client-Request-Id', async () => {
      const post = (key: string, id: string, signal?: AbortSignal) =>
        postJson(`${running!.origin}/v1/chat/completions`, chatBody('Go', true), { ...as(key), 'x-client-request-id': id }, signal);
      const alice = await post(ALICE, 'c1');
      expect(alice.status).toBe(200);
      expect(alice.headers.get('x-request-id')).toBe('c1');
      const bob = await post(BOB, 'c1');
      expect(bob.status).toBe(200);
      expect(expert.stats.active).toBe(2);
      const duplicate = await post(ALICE_2, 'c1');
      expect(duplicate.status).toBe(400);
      expect(await duplicate.json()).toEqual({ error: { message: 'A request with this id is already in flight', type: 'invalid_request_error', code: 'duplicate_request' } });
      expect((await cancel(BOB, 'c1')).status).toBe(204);
      expect(await bob.text()).toContain('"code":"cancelled"');
      expect((await cancel(BOB, 'c1')).status).toBe(404);
      expect((await cancel(ALICE, 'c1')).status).toBe(204);
      expect(await alice.text()).toContain('"code":"cancelled"');
      const invalid = await post(ALICE, 'bad id');
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toEqual({ error: expect.objectContaining({ code: 'invalid_request', message: expect.stringMatching(/^X-Client-Request-Id must be/) }) });
    });
  });

  describe('limits', () => {
    it('answers 429 with Retry-After past the concurrent limit, per tenant, and counts it', async () => {
      running = await startDialogueServer({ experts: [slowExpert()], guard: noGuard }, { apiKeys, metricsKey: METRICS, tenantLimits: { concurrent: 1 } });
      const first = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go', requestId: 'a' }, as(ALICE)));
      await first.until('token');
      const refused = await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go' }, as(ALICE_2));
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toEqual({ error: { message: expect.stringContaining('Too many requests in flight'), type: 'requests', code: 'concurrency_limit_exceeded' } });
      const chat = await postJson(`${running.origin}/v1/chat/completions`, chatBody('Go'), as(ALICE));
      expect(chat.status).toBe(429);
      // Bob has his own slot.
      const bob = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go', requestId: 'b' }, as(BOB)));
      await bob.until('token');
      const metrics = await (await fetch(`${running.origin}/metrics`, { headers: as(METRICS) })).text();
      expect(series(metrics, 'dialogue_tenant_limited_total{tenant="alice",limit="concurrent"}')).toBe(2);
      expect(metrics).not.toContain('tenant="bob"');
      // The slot comes back when the request ends.
      expect((await fetch(`${running.origin}/api/cancel/a`, { method: 'POST', headers: as(ALICE) })).status).toBe(204);
      await first.all();
      const next = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go', requestId: 'c' }, as(ALICE)));
      await next.until('token');
      running.plugin.cancelAll();
      await Promise.all([next.all(), bob.all()]);
    });

    it('answers 429 with the wait in Retry-After past the per-minute limit, and refills with time', async () => {
      let now = 1_000_000;
      running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', answer: 'ok' })] }, { apiKeys, tenantLimits: { perMinute: 2 }, now: () => now });
      const ask = (key: string) => postJson(`${running!.origin}/api/dialogue`, { prompt: 'Hi' }, as(key));
      for (const _ of [1, 2]) expect((await sseEvents(await ask(ALICE))).at(-1)).toEqual(expect.objectContaining({ type: 'complete' }));
      const refused = await ask(ALICE);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(await refused.json()).toEqual({ error: { message: 'Rate limit reached for this API key: 2 requests per minute; retry in 30s', type: 'requests', code: 'rate_limit_exceeded' } });
      expect((await ask(BOB)).status).toBe(200);
      now += 20_000;
      expect((await ask(ALICE)).headers.get('retry-after')).toBe('10');
      now += 10_000;
      expect((await sseEvents(await ask(ALICE))).at(-1)).toEqual(expect.objectContaining({ type: 'complete' }));
    });
  });

  describe('/metrics', () => {
    it('needs the metrics key, which tenant keys are not', async () => {
      running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { apiKeys, metricsKey: METRICS });
      expect((await fetch(`${running.origin}/metrics`, { headers: as(ALICE) })).status).toBe(401);
      expect((await fetch(`${running.origin}/metrics`)).status).toBe(401);
      expect((await fetch(`${running.origin}/metrics`, { headers: as(METRICS) })).status).toBe(200);
      expect((await fetch(`${running.origin}/v1/models`, { headers: as(METRICS) })).status).toBe(401);
    });

    it('is closed (403) on a server with several tenants and no metrics key', async () => {
      running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { apiKeys });
      const response = await fetch(`${running.origin}/metrics`, { headers: as(ALICE) });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: expect.objectContaining({ code: 'metrics_key_required' }) });
    });

    it('opens to the one API key of a single-tenant server, as before', async () => {
      running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { apiKey: ALICE });
      expect((await fetch(`${running.origin}/metrics`, { headers: as(ALICE) })).status).toBe(200);
      expect((await fetch(`${running.origin}/metrics`)).status).toBe(401);
    });
  });

  it('refuses apiKeys it cannot use, without quoting a key', () => {
    const plugin = { process: () => { throw new Error('unused'); }, cancel: () => false, active: () => [], expertHealth: () => ({}) };
    const attempt = (options: Record<string, unknown>) => () => createDialogueServer({ plugin, ...options } as never);
    expect(attempt({ apiKeys: { 'has space': { tenant: 'a' } } })).toThrow('every API key must be 1-1024 printable ASCII characters without spaces');
    expect(attempt({ apiKeys: { 'secret-key-1': { tenant: 'a/b' } } })).toThrow(/every apiKeys entry must be \{ tenant \}/);
    expect(attempt({ apiKeys: { 'secret-key-1': { tenant: 'a' } }, apiKey: 'secret-key-2' })).toThrow('give either apiKey or apiKeys, not both');
    expect(attempt({ apiKeys: {} })).toThrow('apiKeys must name at least one key');
    try {
      attempt({ apiKeys: { 'secret-key-1': { tenant: '' } }, metricsKey: 'x y' })();
    } catch (error) {
      expect(String(error)).not.toContain('secret-key-1');
      expect(String(error)).toContain('metricsKey must be');
    }
  });
});
