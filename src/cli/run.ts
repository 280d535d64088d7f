/**
 * One CLI run: builds the plugin (the set-up's experts and options, the flags on top, the
 * cache they choose), subscribes to the request,
 * drives the view, prints the answer and the timing table, closes the plugin, and returns the
 * exit code. Everything outside (streams, terminal, cancellation, clock) is injected.
 */
import { asyncScheduler, auditTime, connect, EMPTY, ignoreElements, lastValueFrom, merge, takeWhile, tap, type Observable, type SchedulerLike } from 'rxjs';
import { isTerminal, type PipelineEvent, type TerminalEvent } from '../index';
import type { PipelineMetrics } from '../index';
import { DialoguePlugin } from '../index';
import type { Expert, ResponseCache } from '../index';
import { createPaint, stripControls, wantsColor, type Paint } from './ansi';
import type { CliOptions } from './args';
import { EXIT, type ExitCode } from './exit-codes';
import { builtInExperts } from './experts';
import { chooseCache, openChosenCache, chooseFusion, type PluginParts } from './plugin-parts';
import { renderAnswer, renderSummary } from './render-summary';
import { jsonView, lanesView, plainView, type TextSink, type View } from './views';

/** The terminal (or test double) the run writes to. */
export interface CliIO {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Whether stdout is a terminal: live lanes and colors, instead of one line per expert. */
  readonly isTTY: boolean;
  /** The terminal width, read at every frame (it may be resized). */
  readonly columns: () => number;
  /** Environment variables (NO_COLOR). Default: none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The parsed options, with the prompt resolved (argument or stdin); `--config` is read before, by `resolveSetup`. */
export type RunRequest = Omit<CliOptions, 'prompt' | 'config'> & { readonly prompt: string };

/** What a run depends on; everything but `io` has a default. */
export interface RunEnv {
  readonly io: CliIO;
  /** Aborting it (Ctrl-C) cancels the request; the run then returns 130. */
  readonly signal?: AbortSignal;
  /** Folder a relative cache file is resolved against. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** The experts and plugin options from `resolveSetup` (config file or environment). Default: the built-in experts. */
  readonly setup?: PluginParts;
  /** Replaces the set-up's experts (tests). Default: the set-up's, else {@link builtInExperts}. */
  readonly experts?: readonly Expert[];
  /** Milliseconds, for the elapsed time shown with the answer. Default: `performance.now()`. */
  readonly now?: () => number;
  /** Minimum time between two redraws of the lanes. Default 50 ms. */
  readonly frameMs?: number;
  /** Runs the redraw timer. Default: `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

const chooseView = (request: RunRequest, io: CliIO, paint: Paint): View => {
  if (request.json) return jsonView(io.stdout);
  return io.isTTY ? lanesView(io.stdout, io.columns, paint) : plainView(io.stdout, paint);
};

/** The cache the flags and the set-up choose; a SQLite file that cannot be used is reported once on stderr (the run goes on without it). */
const openCache = (request: RunRequest, env: RunEnv): ResponseCache | false =>
  openChosenCache(chooseCache(request, env.setup, env.cwd ?? process.cwd()),
    (message) => env.io.stderr.write(`Warning: ${stripControls(message)}\n`));

/** The plugin of a run: the set-up's options, the flags' fusion and cache on top. */
const createPlugin = (request: RunRequest, env: RunEnv): DialoguePlugin => {
  const { setup } = env;
  return new DialoguePlugin({
    experts: env.experts ?? setup?.experts ?? builtInExperts(),
    router: setup?.router,
    fusion: chooseFusion(request, setup),
    cache: openCache(request, env),
    retry: setup?.retry,
    timeouts: setup?.timeouts,
    limits: setup?.limits,
    breaker: setup?.breaker,
  });
};

/** Subscribes, feeding every event to the view and redrawing at most every `frameMs`; resolves with the terminal event. */
const follow = (events$: Observable<PipelineEvent>, view: View, env: RunEnv, onEvent: (event: PipelineEvent) => void): Promise<PipelineEvent | undefined> =>
  lastValueFrom(
    events$.pipe(
      connect((shared$) => merge(
        shared$,
        view.animated ? shared$.pipe(auditTime(env.frameMs ?? 50, env.scheduler ?? asyncScheduler), tap(view.frame), ignoreElements()) : EMPTY,
      )),
      tap((event) => {
        view.event(event);
        onEvent(event);
      }),
      // Ends at the terminal event, which also drops a pending frame timer.
      takeWhile((event) => !isTerminal(event), true),
    ),
    { defaultValue: undefined },
  );

const lines = (out: TextSink, text: readonly string[]): void => {
  out.write(`${text.join('\n')}\n`);
};

/** Prints the outcome of the request and returns the exit code. */
const report = (terminal: TerminalEvent | undefined, metrics: PipelineMetrics | undefined, elapsedMs: number,
  request: RunRequest, io: CliIO, paint: Paint): ExitCode => {
  if (terminal === undefined) {
    io.stderr.write('Error: the request ended without a result\n');
    return EXIT.system;
  }
  switch (terminal.type) {
    case 'complete':
      if (!request.json) {
        lines(io.stdout, ['', ...renderAnswer(terminal, elapsedMs, paint)]);
        if (metrics !== undefined) lines(io.stdout, ['', ...renderSummary(metrics, paint)]);
      }
      return EXIT.ok;
    case 'cancelled':
      io.stderr.write('Cancelled.\n');
      return EXIT.cancelled;
    case 'error': {
      const { error } = terminal;
      if (!error.user) {
        io.stderr.write(`Error: ${stripControls(error.message)}\n`);
        return EXIT.system;
      }
      const issues = error.issues ?? [error.message];
      lines(io.stderr, ['Invalid request:', ...issues.map((issue) => `  - ${stripControls(issue)}`)]);
      return EXIT.usage;
    }
  }
};

/**
 * Runs the request to its end and returns the exit code: 0 answered, 1 system error, 2 invalid
 * request, 130 cancelled. The plugin (and its cache) is closed before it returns, and the
 * cursor is always shown again. Never rejects.
 */
export const run = async (request: RunRequest, env: RunEnv): Promise<ExitCode> => {
  const { io } = env;
  const now = env.now ?? (() => performance.now());
  const paint = createPaint(!request.json && wantsColor(request.color, io.env ?? {}, io.isTTY));
  const started = now();
  let plugin: DialoguePlugin | undefined;
  let view: View | undefined;
  let code: ExitCode;
  try {
    plugin = createPlugin(request, env);
    view = chooseView(request, io, paint);
    let metrics: PipelineMetrics | undefined;
    const last = await follow(plugin.process(request.prompt, { signal: env.signal, scope: request.scope }), view, env, (event) => {
      if (event.type === 'metrics') metrics = event.metrics;
    });
    view.end();
    view = undefined;
    code = report(last !== undefined && isTerminal(last) ? last : undefined, metrics, now() - started, request, io, paint);
  } catch (error) {
    view?.end();
    io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    code = EXIT.system;
  }
  try {
    await plugin?.close();
  } catch (error) {
    io.stderr.write(`Error closing the cache: ${error instanceof Error ? error.message : String(error)}\n`);
    if (code === EXIT.ok) code = EXIT.system;
  }
  return code;
};
