import { simulatedExpert, type SimulatedExpert } from '../../../src/sources/simulated-expert';
import { noGuard } from '../../../src/strategies/output-guard';
import { EventReader, postJson, startDialogueServer, type Running } from '../server-fixtures';

const slowExpert = (): SimulatedExpert => simulatedExpert({ id: 'slow', answer: 'one two three', tokenDelayMs: 60_000 });

describe('cross-site requests', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  describe('on the default server (no key, no CORS)', () => {
    let expert: SimulatedExpert;
    let reader: EventReader;
    beforeEach(async () => {
      expert = slowExpert();
      running = await startDialogueServer({ experts: [expert], guard: noGuard });
      reader = new EventReader(await postJson(`${running.origin}/api/dialogue`, { prompt: 'Go', requestId: 'victim' }));
      await reader.until('token');
    });
    afterEach(async () => {
      running?.plugin.cancelAll();
      await reader.all();
    });

    const cancel = (headers: Record<string, string>, body?: string) =>
      fetch(`${running!.origin}/api/cancel/victim`, { method: 'POST', headers, body });

    it('refuses a form posted from another site to the cancel route, and the request goes on', async () => {
      const attempts = await Promise.all([
        cancel({ origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, 'x=1'),
        cancel({ origin: 'null', 'content-type': 'text/plain' }, 'x'),
        cancel({ 'sec-fetch-site': 'cross-site' }),
        cancel({ 'content-type': 'multipart/form-data; boundary=x' }, '--x--'),
        cancel({ 'content-type': 'text/plain;charset=UTF-8' }, 'x'),
      ]);
      expect(attempts.map((response) => response.status)).toEqual([403, 403, 403, 415, 415]);
      expect(await attempts[0].json()).toEqual({ error: { message: 'Requests from another origin are refused; configure cors to allow one', type: 'invalid_request_error', code: 'cross_site_request' } });
      expect(expert.stats.active).toBe(1);
      expect(running!.plugin.active()).toHaveLength(1);
    });

    it('refuses a foreign Origin on /api/dialogue before running anything', async () => {
      const response = await postJson(`${running!.origin}/api/dialogue`, { prompt: 'Hi' }, { origin: 'http://rebind.evil.example:8787' });
      expect(response.status).toBe(403);
      expect(running!.plugin.active()).toHaveLength(1);
    });

    it('lets the page\'s own origin, and clients that send no browser headers, through', async () => {
      expect((await cancel({ origin: running!.origin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' })).status).toBe(204);
      expect((await reader.all()).at(-1)).toEqual(expect.objectContaining({ type: 'cancelled' }));
      reader = new EventReader(await postJson(`${running!.origin}/api/dialogue`, { prompt: 'Go', requestId: 'victim' }, { origin: running!.origin }));
      await reader.until('token');
      expect((await cancel({})).status).toBe(204);
    });
  });

  it('lets the configured CORS origin through, also cross-site', async () => {
    running = await startDialogueServer({ experts: [simulatedExpert({ id: 'a' })] }, { cors: { origin: 'https://app.example.com' } });
    const response = await postJson(`${running.origin}/api/dialogue`, { prompt: 'Hi' }, { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' });
    expect(response.status).toBe(200);
    await response.text();
    expect((await postJson(`${running.origin}/api/dialogue`, { prompt: 'Hi' }, { origin: 'https://other.example.com' })).status).toBe(403);
  });
});
