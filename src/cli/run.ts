/**
 * One CLI run: builds the plugin (the set-up's experts and options, the flags on top, the
 * cache they choose), subscribes to the request,
 * drives the view, prints the answer and the timing table, closes the plugin, and returns the
 * exit code. Everything outside (streams, terminal, cancellation, clock) is injected.
 */
import { asyncScheduler, auditTime, connect, EMPTY, ignoreElements, lastValueFrom, merge, takeWhile, tap, type Observable, type SchedulerLike } from 'rxjs';
import { isTerminal, type ChatMessage, type DialogueInput, type PipelineEvent, type TerminalEvent } from '../index';
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

/**
 * The parsed options, with the prompt resolved (argument or stdin); `--config` is read before, by
 * `resolveSetup`. `system` (`--system`) is sent as a system message before the prompt.
 */
export type RunRequest = Omit<CliOptions, 'prompt' | 'config' | 'chat' | 'system'> & { readonly prompt: string; readonly system?: string };

/** The options a session of several turns shares (`--chat`): a run request without its prompt. */
export type SessionRequest = Omit<RunRequest, 'prompt'>;

/** How one turn ended: its exit code and, when answered, the answer's text. */
export interface TurnOutcome { readonly code: ExitCode; readonly answer?: string }

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

const chooseView = (request: SessionRequest, io: CliIO, paint: Paint): View => {
  if (request.json) return jsonView(io.stdout);
  return io.isTTY ? lanesView(io.stdout, io.columns, paint) : plainView(io.stdout, paint);
};

/** The cache the flags and the set-up choose; a SQLite file that cannot be used is reported once on stderr (the run goes on without it). */
const openCache = (request: SessionRequest, env: RunEnv): ResponseCache | false =>
  openChosenCache(chooseCache(request, env.setup, env.cwd ?? process.cwd()),
    (message) => env.io.stderr.write(`Warning: ${stripControls(message)}\n`));

/** The plugin of a run or a chat session: the set-up's options, the flags' fusion and cache on top. */
export const createRunPlugin = (request: SessionRequest, env: RunEnv): DialoguePlugin => {
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
  request: SessionRequest, io: CliIO, paint: Paint): ExitCode => {
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
 * One request on an open plugin, shown as a one-shot run shows it (lanes or lines, answer,
 * timings, or NDJSON): resolves with the exit code (0 answered, 1 system error, 2 invalid
 * request, 130 cancelled by `env.signal`) and the answer. Does not close the plugin. Never rejects.
 */
export const runTurn = async (plugin: DialoguePlugin, input: DialogueInput, request: SessionRequest, env: RunEnv): Promise<TurnOutcome> => {
  const { io } = env;
  const now = env.now ?? (() => performance.now());
  const paint = createPaint(!request.json && wantsColor(request.color, io.env ?? {}, io.isTTY));
  const started = now();
  let view: View | undefined;
  try {
    view = chooseView(request, io, paint);
    let metrics: PipelineMetrics | undefined;
    const last = await follow(plugin.process(input, { signal: env.signal, scope: request.scope }), view, env, (event) => {
      if (event.type === 'metrics') metrics = event.metrics;
    });
    view.end();
    view = undefined;
    const terminal = last !== undefined && isTerminal(last) ? last : undefined;
    const code = report(terminal, metrics, now() - started, request, io, paint);
    return terminal?.type === 'complete' ? { code, answer: terminal.text } : { code };
  } catch (error) {
    view?.end();
    io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return { code: EXIT.system };
  }
};

/** Closes a run's plugin (and its cache); a failure is reported on stderr and turns an ok `code` into a system error. */
export const closeRunPlugin = async (plugin: DialoguePlugin | undefined, code: ExitCode, io: CliIO): Promise<ExitCode> => {
  try {
    await plugin?.close();
    return code;
  } catch (error) {
    io.stderr.write(`Error closing the cache: ${error instanceof Error ? error.message : String(error)}\n`);
    return code === EXIT.ok ? EXIT.system : code;
  }
};

/** The conversation a request sends: the system prompt (when there is one) before `messages`; a lone user prompt stays a plain string. */
export const withSystem = (system: string | undefined, messages: readonly ChatMessage[]): DialogueInput => {
  if (system === undefined) return messages.length === 1 && messages[0].role === 'user' ? messages[0].content : messages;
  return [{ role: 'system', content: system }, ...messages];
};

/**
 * Runs the request to its end and returns the exit code: 0 answered, 1 system error, 2 invalid
 * request, 130 cancelled. The plugin (and its cache) is closed before it returns, and the
 * cursor is always shown again. Never rejects.
 */
export const run = async (request: RunRequest, env: RunEnv): Promise<ExitCode> => {
  let plugin: DialoguePlugin | undefined;
  let code: ExitCode;
  try {
    plugin = createRunPlugin(request, env);
    code = (await runTurn(plugin, withSystem(request.system, [{ role: 'user', content: request.prompt }]), request, env)).code;
  } catch (error) {
    env.io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    code = EXIT.system;
  }
  return closeRunPlugin(plugin, code, env.io);
};
