import { connect } from 'node:net';
import { simulatedExpert } from '../../../src/sources/simulated-expert';
import { createHostCheck } from '../../../src/server/guards/allowed-hosts';
import { rawRequest, startDialogueServer, type Running } from '../server-fixtures';

const MISDIRECTED = {
  error: {
    message: 'This server does not answer to that Host name; add it to allowedHosts (--allowed-hosts) if it is yours',
    type: 'invalid_request_error', code: 'host_not_allowed',
  },
};

describe('createHostCheck', () => {
  it('allows the loopback names on any port, and nothing else, by default', () => {
    const check = createHostCheck();
    for (const host of ['localhost', 'localhost:8787', 'LOCALHOST.:1', '127.0.0.1:80', '[::1]:8787', '[::1]']) expect([host, check(host, '127.0.0.1')]).toEqual([host, true]);
    for (const host of [undefined, '', 'evil.example', 'evil.example:8787', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.5:8787', '[::1', 'a:b:c']) {
      expect([host, check(host, '127.0.0.1')]).toEqual([host, false]);
    }
  });

  it('allows the address the connection came in on (an IP literal cannot be rebound)', () => {
    const check = createHostCheck();
    expect(check('10.0.0.5:8787', '10.0.0.5')).toBe(true);
    expect(check('10.0.0.5:8787', '::ffff:10.0.0.5')).toBe(true);
    expect(check('[fd00::5]:8787', 'fd00::5')).toBe(true);
    expect(check('10.0.0.6:8787', '10.0.0.5')).toBe(false);
  });

  it('adds configured names: any port, a pinned port, or a domain with its subdomains; "*" allows all', () => {
    const check = createHostCheck(['api.example.com', 'pinned.example:8443', '.corp.example']);
    expect(check('api.example.com:443', '10.0.0.5')).toBe(true);
    expect(check('pinned.example:8443', '10.0.0.5')).toBe(true);
    expect(check('pinned.example:8444', '10.0.0.5')).toBe(false);
    expect(check('corp.example', '10.0.0.5')).toBe(true);
    expect(check('a.b.corp.example:1', '10.0.0.5')).toBe(true);
    expect(check('evilcorp.example', '10.0.0.5')).toBe(false);
    expect(check('localhost:1', '127.0.0.1')).toBe(true);
    expect(createHostCheck(['*'])('anything.example', undefined)).toBe(true);
  });
});

describe('the Host check over HTTP', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('refuses a DNS-rebound Host with 421 before running anything, on the default (no key) server', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a', tokenDelayMs: 60_000 })] });
    const rebound = await rawRequest(running.port, {
      method: 'POST', path: '/api/dialogue', headers: { host: `rebind.evil.example:${running.port}`, 'content-type': 'application/json' }, body: '{"prompt":"hi"}',
    });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toEqual(MISDIRECTED);
    expect(running.plugin.active()).toEqual([]);
    for (const host of [`localhost:${running.port}`, `127.0.0.1:${running.port}`, '[::1]:9']) {
      expect((await rawRequest(running.port, { path: '/healthz', headers: { host } })).status).toBe(200);
    }
    expect((await rawRequest(running.port, { path: '/healthz', headers: { host: 'evil.example' } })).status).toBe(421);
  });

  it('refuses a request without a Host (HTTP/1.0)', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] });
    const socket = connect(running.port, '127.0.0.1');
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.once('end', () => resolve(text));
      socket.once('error', reject);
      socket.write('GET /healthz HTTP/1.0\r\n\r\n');
    });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
  });

  it('serves the names in allowedHosts', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { allowedHosts: ['dialogue.example.com'] });
    expect((await rawRequest(running.port, { path: '/healthz', headers: { host: 'dialogue.example.com' } })).status).toBe(200);
    expect((await rawRequest(running.port, { path: '/healthz', headers: { host: 'other.example.com' } })).status).toBe(421);
  });
});
