/**
 * A flood of slow and silent connections (the one wall-clock assertion the server specs allow):
 * 10,000 sockets that send half a header or nothing, against a server process limited to 256
 * file descriptors (the hostile tester's set-up: 400 such sockets used to exhaust it), with the
 * default connection cap. /healthz must still answer within 50 ms while they are held, and the
 * server must live through it. Server, flood and the test's client are three processes, so none
 * of them shares descriptors or an event loop with another.
 */
import { startFlood, type Flood } from '../../support/connection-flood';
import { startFloodTarget, type FloodTarget } from '../../support/flood-target';
import { rawRequest, series } from '../server-fixtures';

const FLOOD = 10_000;

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('a flood of slow connections', () => {
  let target: FloodTarget | undefined;
  let flood: Flood | undefined;
  afterEach(async () => {
    await flood?.stop();
    await target?.stop();
    flood = undefined;
    target = undefined;
  });

  it('leaves /healthz answering within 50 ms while 10,000 half-open connections come and are held', async () => {
    target = await startFloodTarget(256);
    flood = await startFlood(target.port, FLOOD, 64);
    expect(flood.open + flood.closed).toBe(FLOOD);
    const host = { host: `127.0.0.1:${target.port}` };
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const response = await rawRequest(target.port, { path: '/healthz', headers: host });
      times.push(performance.now() - started);
      expect(response.status).toBe(200);
    }
    expect(median(times)).toBeLessThan(50);
    const metrics = (await rawRequest(target.port, { path: '/metrics', headers: host })).body;
    // 256 descriptors: the default cap is 128.
    expect(series(metrics, 'dialogue_connections_open')).toBeLessThanOrEqual(128);
    expect(series(metrics, 'dialogue_connections_dropped_total{how="evicted"}')).toBeGreaterThanOrEqual(FLOOD - 128);
    await flood.stop();
    flood = undefined;
    expect(await target.stop()).toBe(0);
    expect(target.stderr()).toBe('');
    target = undefined;
  }, 120_000);
});
