/**
 * How `npm run serve` stops: SIGTERM or SIGINT starts the graceful shutdown and exits 0 when it
 * is done (1 if it failed, or after `forceAfterMs`); a second signal exits 1 at once.
 *
 * One stop often arrives twice: Ctrl-C in a terminal signals the whole foreground process group
 * (npm and the server), and npm forwards what it receives to its script; a process manager that
 * signals every process of the service (systemd's default KillMode) does the same. So a second
 * signal counts only once `repeatWindowMs` have passed since the first.
 *
 * Signals reach this process only if nothing between it and the process manager drops them:
 * the `serve` script must `exec` node (dash, Debian's /bin/sh, does not exec a `-c` command by
 * itself and dies of SIGTERM without passing it on), and not run under tsx's CLI, which SIGKILLs
 * its child when the child does not confirm a relayed signal within 30 ms (a busy event loop).
 */
import { EXIT } from '../exit-codes';

/** The signals that stop the server. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** What {@link stopOnSignals} needs; the clock and the timer are parameters for tests. */
export interface StopOnSignalsOptions {
  /** The graceful shutdown (runs once). */
  readonly shutdown: () => Promise<void>;
  readonly exit: (code: number) => void;
  /** One line for stderr. */
  readonly report: (message: string) => void;
  /** Exit 1 when the shutdown has not ended by then. Default 5000 ms. */
  readonly forceAfterMs?: number;
  /** A repeated signal sooner than this after the first is the same stop delivered twice. Default 1000 ms. */
  readonly repeatWindowMs?: number;
  readonly now?: () => number;
  /** Runs `run` after `ms` without keeping the process alive. */
  readonly later?: (ms: number, run: () => void) => void;
}

/** Where signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: (typeof STOP_SIGNALS)[number], listener: (signal: NodeJS.Signals) => void): unknown;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Listens for {@link STOP_SIGNALS} on `source`; see the file comment. */
export const stopOnSignals = (options: StopOnSignalsOptions, source: SignalSource = process): void => {
  const { shutdown, exit, report, forceAfterMs = 5000, repeatWindowMs = 1000 } = options;
  const now = options.now ?? (() => performance.now());
  const later = options.later ?? ((ms, run) => void setTimeout(run, ms).unref());
  let firstAt: number | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (firstAt !== undefined) {
      if (now() - firstAt < repeatWindowMs) return;
      report(`${signal} again: exiting without waiting for the shutdown`);
      return exit(EXIT.system);
    }
    firstAt = now();
    later(forceAfterMs, () => {
      report(`The shutdown took longer than ${forceAfterMs} ms: exiting`);
      exit(EXIT.system);
    });
    shutdown().then(
      () => exit(EXIT.ok),
      (error: unknown) => {
        report(`Error while shutting down: ${message(error)}`);
        exit(EXIT.system);
      },
    );
  };
  for (const signal of STOP_SIGNALS) source.on(signal, stop);
};
