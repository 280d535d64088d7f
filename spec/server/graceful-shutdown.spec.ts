import type { Server } from 'node:http';
import { DialoguePlugin } from '../../src/pipeline/dialogue-plugin';
import { createDialogueServer } from '../../src/server/create-dialogue-server';
import { gracefulShutdown } from '../../src/server/graceful-shutdown';
import { simulatedExpert } from '../../src/sources/simulated-expert';
import { noGuard } from '../../src/strategies/output-guard';
import { closeServer, EventReader, listen, postJson, waitFor } from './server-fixtures';

describe('gracefulShutdown', () => {
  let server: Server | undefined;
  let plugin: DialoguePlugin | undefined;
  afterEach(async () => {
    if (server?.listening === true) await closeServer(server);
    await plugin?.close();
    server = plugin = undefined;
  });

  it('cancels the requests in flight, lets their clients read `cancelled`, closes the plugin and the server', async () => {
    const expert = simulatedExpert({ id: 'a', answer: 'one two', tokenDelayMs: 60_000 });
    plugin = new DialoguePlugin({ experts: [expert], cache: false, guard: noGuard });
    server = createDialogueServer({ plugin });
    const shutdown = gracefulShutdown(server, plugin);
    const port = await listen(server);
    const sse = new EventReader(await postJson(`http://127.0.0.1:${port}/api/dialogue`, { prompt: 'Go', requestId: 'r1' }));
    const chat = postJson(`http://127.0.0.1:${port}/v1/chat/completions`, { model: 'dialogue-pipeline', messages: [{ role: 'user', content: 'Go as well' }] });
    await sse.until('token');
    await waitFor(() => expert.stats.active === 2, 2000, 'both requests to run');

    const done = shutdown();
    expect(shutdown()).toBe(done);
    const events = await sse.all();
    expect(events.at(-1)).toEqual({ type: 'cancelled', requestId: 'r1', reason: 'cancelled (all)' });
    const answer = await chat;
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ error: expect.objectContaining({ code: 'cancelled' }) });
    await done;
    expect(expert.stats.active).toBe(0);
    expect(server.listening).toBe(false);
    expect(await plugin.ask('Later?').catch((error: unknown) => error)).toEqual(expect.objectContaining({ _tag: 'CancelledError' }));
  });

  it('answers /readyz 503 from the start, serving on for unreadyMs while the request in flight streams, then drains it', async () => {
    const expert = simulatedExpert({ id: 'a', answer: 'one two', tokenDelayMs: 60_000 });
    plugin = new DialoguePlugin({ experts: [expert], cache: false, guard: noGuard });
    server = createDialogueServer({ plugin });
    const waits: Array<{ ms: number; run: () => void }> = [];
    const shutdown = gracefulShutdown(server, plugin, { unreadyMs: 5000, later: (ms, run) => waits.push({ ms, run }) });
    const origin = `http://127.0.0.1:${await listen(server)}`;
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    const sse = new EventReader(await postJson(`${origin}/api/dialogue`, { prompt: 'Go', requestId: 'r1' }));
    await sse.until('token');

    const done = shutdown();
    const readyz = await fetch(`${origin}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'unready', reason: 'draining', message: 'The server is shutting down' });
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${origin}/v1/models`)).status).toBe(200);
    expect(expert.stats.active).toBe(1);
    expect(server.listening).toBe(true);
    expect(waits.map(({ ms }) => ms)).toEqual([5000]);

    waits[0].run();
    expect((await sse.all()).at(-1)).toEqual({ type: 'cancelled', requestId: 'r1', reason: 'cancelled (all)' });
    await done;
    expect(expert.stats.active).toBe(0);
    expect(server.listening).toBe(false);
  });

  it('finishes at once when nothing is in flight', async () => {
    plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], cache: false });
    server = createDialogueServer({ plugin });
    const shutdown = gracefulShutdown(server, plugin);
    const port = await listen(server);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await shutdown();
    expect(server.listening).toBe(false);
  });
});
