import { connect, type Socket } from 'node:net';
import { simulatedExpert, type SimulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import { defaultMaxConnections, openFileLimit } from '../../../src/server/connections/connection-limit';
import { EventReader, postJson, series, startDialogueServer, waitFor, type Running } from '../server-fixtures';

describe('the connection cap', () => {
  let running: Running | undefined;
  let accepted = 0;
  const sockets: Socket[] = [];
  afterEach(async () => {
    sockets.forEach((socket) => socket.destroy());
    sockets.length = 0;
    await running?.close();
    running = undefined;
  });

  const start = async (plugin: Parameters<typeof startDialogueServer>[0]): Promise<Running> => {
    accepted = 0;
    running = await startDialogueServer(plugin, { maxConnections: 3 });
    running.server.on('connection', () => accepted++);
    return running;
  };

  /** A socket that sends nothing, resolved once the server has accepted it. */
  const silent = async (): Promise<Socket> => {
    const before = accepted;
    const socket = connect(running!.port, '127.0.0.1');
    socket.on('error', () => undefined);
    sockets.push(socket);
    await waitFor(() => accepted > before);
    return socket;
  };
  const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

  it('closes the oldest idle connection to make room, so a new client gets through', async () => {
    await start({ experts: [simulatedExpert({ id: 'a' })] });
    const [first, second, third] = [await silent(), await silent(), await silent()];
    const response = await fetch(`${running!.origin}/healthz`);
    expect(response.status).toBe(200);
    await closed(first);
    expect([second.closed, third.closed]).toEqual([false, false]);
    const metrics = await (await fetch(`${running!.origin}/metrics`)).text();
    expect(series(metrics, 'dialogue_connections_dropped_total{how="evicted"}')).toBeGreaterThanOrEqual(1);
  });

  it('never touches a connection serving a request: refuses the new one when all are busy', async () => {
    const expert: SimulatedExpert = simulatedExpert({ id: 'slow', answer: 'one two three', tokenDelayMs: 60_000 });
    await start({ experts: [expert], guard: noGuard });
    const readers = await Promise.all([1, 2, 3].map(async (n) => {
      const reader = new EventReader(await postJson(`${running!.origin}/api/dialogue`, { prompt: `Go ${n}`, requestId: `r${n}` }));
      await reader.until('token');
      return reader;
    }));
    const extra = await silent();
    await closed(extra);
    expect(expert.stats.active).toBe(3);
    running!.plugin.cancelAll();
    for (const reader of readers) expect((await reader.all()).at(-1)).toEqual(expect.objectContaining({ type: 'cancelled' }));
    const metrics = await (await fetch(`${running!.origin}/metrics`)).text();
    expect(series(metrics, 'dialogue_connections_dropped_total{how="refused"}')).toBe(1);
  });
});

describe('defaultMaxConnections', () => {
  it('is 512, or half the open-file limit when that is lower', () => {
    expect(defaultMaxConnections(undefined)).toBe(512);
    expect(defaultMaxConnections(20_000)).toBe(512);
    expect(defaultMaxConnections(256)).toBe(128);
    expect(defaultMaxConnections(10)).toBe(16);
  });

  it('reads the soft limit from /proc/self/limits', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            256                  4096                 files     \n';
    expect(openFileLimit(() => limits)).toBe(256);
    expect(openFileLimit(() => { throw new Error('no /proc'); })).toBeUndefined();
    expect(openFileLimit(() => 'Max open files            unlimited            unlimited            files')).toBeUndefined();
  });
});
