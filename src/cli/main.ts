/**
 * The `dialogue` command (`npm start -- "your prompt"`): wiring only. Parses the arguments,
 * resolves the set-up (config file, environment or simulated experts; a bad config file is
 * reported with every problem, exit 2), reads the prompt from stdin when none is given, turns Ctrl-C into cancellation (a second
 * Ctrl-C exits at once), runs the request, and sets the exit code. Everything for stderr is
 * redacted first (`redact-output.ts`). With `--chat` it runs an interactive session instead
 * (`chat.ts`), where Ctrl-C cancels one answer, not the process.
 */
import { SHOW_CURSOR } from './ansi';
import { MISSING_PROMPT, parseCliArgs, usage, type CliOptions } from './args';
import { chat } from './chat';
import { readConfigFile } from './config/read-config-file';
import { EXIT } from './exit-codes';
import { readText } from './read-stdin';
import { writeStderr } from './redact-output';
import { run, type CliIO } from './run';
import { renderSetupFailure, resolveSetup, type Setup } from './setup';

/** Exit code when the reader of stdout went away (`| head`): as if killed by SIGPIPE. */
const OUTPUT_CLOSED = 141;

const usageError = (message: string): number => {
  writeStderr(`Error: ${message}\n\n${usage()}`);
  return EXIT.usage;
};

const showCursorOnExit = (): void => {
  process.on('exit', () => {
    if (process.stdout.isTTY) process.stdout.write(SHOW_CURSOR);
  });
};

/** The `--chat` session: prompts on stdout (stderr with --json, so stdout stays NDJSON); SIGINT is the session's. */
const mainChat = async (options: CliOptions, setup: Setup, cwd: string): Promise<number> => {
  const ended = new AbortController();
  let outputClosed = false;
  process.stdout.on('error', () => {
    outputClosed = true;
    ended.abort(new Error('output closed'));
  });
  showCursorOnExit();
  if (setup.notice !== undefined) writeStderr(`${setup.notice}\n`);
  const io: CliIO = {
    stdout: process.stdout,
    stderr: { write: (text: string) => outputClosed || writeStderr(text) },
    isTTY: process.stdout.isTTY === true,
    columns: () => process.stdout.columns ?? 80,
    env: process.env,
  };
  const code = await chat(options, {
    io, cwd, setup,
    input: process.stdin,
    promptOutput: options.json ? process.stderr : process.stdout,
    terminal: process.stdin.isTTY === true,
    onSigint: (listener) => {
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
    signal: ended.signal,
  });
  // A piped stdin still open (the session ended by Ctrl-C or /exit) would keep the process alive.
  process.stdin.destroy();
  return outputClosed ? OUTPUT_CLOSED : code;
};

const main = async (): Promise<number> => {
  const parsed = parseCliArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(usage());
    return EXIT.ok;
  }
  if (parsed.kind === 'usage-error') return usageError(parsed.message);

  // Under `npm start` the working folder is the package's; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const setup = resolveSetup({ args: parsed.options, env: process.env, cwd, readFile: readConfigFile });
  if (setup._tag === 'Left') {
    writeStderr(renderSetupFailure(setup.left));
    return EXIT.usage;
  }
  if (parsed.options.chat) return mainChat(parsed.options, setup.right, cwd);

  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts += 1;
    if (interrupts === 1) controller.abort();
    else process.exit(EXIT.cancelled); // the 'exit' handler shows the cursor
  });
  showCursorOnExit();
  let outputClosed = false;
  process.stdout.on('error', () => {
    // EPIPE: nobody reads any more. Stop the work; stay quiet from now on.
    outputClosed = true;
    controller.abort(new Error('output closed'));
  });

  const prompt = parsed.options.prompt ?? (process.stdin.isTTY ? undefined : (await readText(process.stdin, controller.signal)).trim());
  if (controller.signal.aborted) {
    writeStderr('Cancelled.\n');
    return EXIT.cancelled;
  }
  if (prompt === undefined || prompt.trim() === '') return usageError(MISSING_PROMPT);
  if (setup.right.notice !== undefined) writeStderr(`${setup.right.notice}\n`);

  const code = await run({ ...parsed.options, prompt }, {
    io: {
      stdout: process.stdout,
      stderr: { write: (text: string) => outputClosed || writeStderr(text) },
      isTTY: process.stdout.isTTY === true,
      columns: () => process.stdout.columns ?? 80,
      env: process.env,
    },
    signal: controller.signal,
    cwd,
    setup: setup.right,
  });
  return outputClosed ? OUTPUT_CLOSED : code;
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    writeStderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.system;
  },
);
