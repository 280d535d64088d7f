import { EventEmitter } from 'node:events';
import { stopOnSignals, type StopOnSignalsOptions } from '../../../src/cli/serve/stop-on-signals';

/** stopOnSignals on an EventEmitter, with a hand-moved clock and timers the test fires. */
const harness = (shutdown: () => Promise<void>) => {
  const source = new EventEmitter();
  const exits: number[] = [];
  const reports: string[] = [];
  const timers: Array<{ ms: number; run: () => void }> = [];
  let clock = 0;
  const options: StopOnSignalsOptions = {
    shutdown,
    exit: (code) => void exits.push(code),
    report: (message) => void reports.push(message),
    now: () => clock,
    later: (ms, run) => void timers.push({ ms, run }),
  };
  stopOnSignals(options, source);
  return { source, exits, reports, timers, advance: (ms: number) => void (clock += ms) };
};

const deferred = () => {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('stopOnSignals', () => {
  it.each(['SIGTERM', 'SIGINT'])('on %s runs the shutdown and exits 0 once it has ended', async (signal) => {
    const done = deferred();
    const shutdown = jest.fn(() => done.promise);
    const { source, exits, reports } = harness(shutdown);
    source.emit(signal, signal);
    expect(shutdown).toHaveBeenCalledTimes(1);
    await Promise.resolve();
    expect(exits).toEqual([]);
    done.resolve();
    await done.promise;
    await Promise.resolve();
    expect(exits).toEqual([0]);
    expect(reports).toEqual([]);
  });

  it('takes a second signal within the repeat window for the same stop (a terminal and npm both deliver Ctrl-C)', () => {
    const shutdown = jest.fn(() => new Promise<void>(() => undefined));
    const { source, exits, advance } = harness(shutdown);
    source.emit('SIGINT', 'SIGINT');
    advance(999);
    source.emit('SIGINT', 'SIGINT');
    source.emit('SIGTERM', 'SIGTERM');
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([]);
  });

  it('exits 1 at once on a signal after the repeat window', () => {
    const { source, exits, reports, advance } = harness(() => new Promise<void>(() => undefined));
    source.emit('SIGTERM', 'SIGTERM');
    advance(1000);
    source.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([1]);
    expect(reports).toEqual(['SIGTERM again: exiting without waiting for the shutdown']);
  });

  it('exits 1 when the shutdown has not ended after forceAfterMs', () => {
    const { source, exits, reports, timers } = harness(() => new Promise<void>(() => undefined));
    source.emit('SIGTERM', 'SIGTERM');
    expect(timers.map((timer) => timer.ms)).toEqual([5000]);
    timers[0].run();
    expect(exits).toEqual([1]);
    expect(reports).toEqual(['The shutdown took longer than 5000 ms: exiting']);
  });

  it('exits 1 and says why when the shutdown fails', async () => {
    const failed = Promise.reject(new Error('cache close failed'));
    const { source, exits, reports } = harness(() => failed);
    source.emit('SIGTERM', 'SIGTERM');
    await failed.catch(() => undefined);
    await Promise.resolve();
    expect(exits).toEqual([1]);
    expect(reports).toEqual(['Error while shutting down: cache close failed']);
  });
});
