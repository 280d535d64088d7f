import { connect, type Socket } from 'node:net';
import { DialoguePlugin } from '../../../src/pipeline/dialogue-plugin';
import { createDialogueServer } from '../../../src/server/create-dialogue-server';
import { simulatedExpert } from '../../../src/sources/simulated-expert';
import { startDialogueServer, type Running } from '../server-fixtures';
import type { ServerTimeoutOptions } from '../../../src/server/connections/server-timeouts';

/** Everything the server sent on a socket that wrote `data`, once the server closed it. */
const untilClosed = (port: number, data: string, sockets: Socket[]): Promise<string> => new Promise((resolve) => {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  socket.once('close', () => resolve(text));
  socket.once('connect', () => data !== '' && socket.write(data));
});

describe('server timeouts', () => {
  let running: Running | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    sockets.forEach((socket) => socket.destroy());
    sockets.length = 0;
    await running?.close();
    running = undefined;
  });
  const start = async (timeouts: ServerTimeoutOptions) => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { timeouts });
    return running;
  };

  it('answers 408 and closes a connection whose headers do not end within headersMs', async () => {
    const { port } = await start({ headersMs: 100, requestMs: 5000 });
    expect(await untilClosed(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', sockets)).toMatch(/^HTTP\/1\.1 408 /);
    expect(await untilClosed(port, '', sockets)).toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('answers a JSON 408 and closes the connection when a body does not arrive within bodyMs', async () => {
    const { port } = await start({ bodyMs: 100 });
    const answer = await untilClosed(port, 'POST /api/dialogue HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"prompt":', sockets);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('{"error":{"message":"Request body not received within 100 ms","type":"invalid_request_error","code":"request_timeout"}}');
    expect(running!.plugin.active()).toEqual([]);
  });

  it('closes a connection that has been silent for idleMs, whatever the other limits', async () => {
    const { port } = await start({ headersMs: 0, requestMs: 0, idleMs: 100 });
    expect(await untilClosed(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', sockets)).toBe('');
  });

  it('closes a keep-alive connection idle for keepAliveMs after its response', async () => {
    const { port } = await start({ keepAliveMs: 100 });
    const answer = await untilClosed(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, sockets);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nkeep-alive: timeout=0\r\n/i);
  });

  it('refuses timeouts Node cannot honour', async () => {
    const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], cache: false });
    expect(() => createDialogueServer({ plugin, timeouts: { idleMs: -1, bodyMs: 1.5 } }))
      .toThrow('createDialogueServer: timeouts.bodyMs must be an integer >= 0 (ms; 0 = off); timeouts.idleMs must be an integer >= 0 (ms; 0 = off)');
    expect(() => createDialogueServer({ plugin, timeouts: { headersMs: 2000, requestMs: 1000 } })).toThrow('timeouts.headersMs must not exceed timeouts.requestMs');
    await plugin.close();
  });
});
