/**
 * `--chat`: an interactive session on one plugin. Reads a prompt per line (`node:readline`),
 * runs each turn with the whole conversation so far (system prompt, earlier questions and
 * answers, the new question) and shows it as a one-shot run does. An answered turn joins the
 * history; a cancelled or failed turn does not (the next question is asked as if it never
 * happened). `/new` clears the history, `/exit` ends the session. A turn refused as invalid
 * while there is history (most often: the conversation outgrew `limits.maxPromptChars`) adds a
 * hint that `/new` starts over.
 *
 * Ctrl-C (readline's `SIGINT` on a terminal, the process signal when stdin is piped) cancels
 * the answer that streams and the session goes on; at the prompt it ends the session (a
 * typed, unsent line is cleared instead). Ctrl-D (end of input) ends it too. The session
 * exits 0 however it ends, unless the plugin fails to close.
 */
import * as readline from 'node:readline';
import type { ChatMessage, DialoguePlugin } from '../index';
import { EXIT, type ExitCode } from './exit-codes';
import { closeRunPlugin, createRunPlugin, runTurn, withSystem, type RunEnv, type SessionRequest } from './run';

/** What a chat session reads and where it prompts, besides a run's environment. */
export interface ChatEnv extends Omit<RunEnv, 'signal'> {
  /** The lines typed (or piped). */
  readonly input: NodeJS.ReadableStream;
  /** Where the prompt (`> `) and the session's notices go, and a terminal's echo. */
  readonly promptOutput: NodeJS.WritableStream;
  /** Whether `input` is a terminal (readline then edits lines and reads Ctrl-C itself). */
  readonly terminal: boolean;
  /** Subscribes to the process's SIGINT; returns the unsubscribe. */
  readonly onSigint: (listener: () => void) => () => void;
  /** Aborting it ends the session (the output went away): the current turn is cancelled. */
  readonly signal?: AbortSignal;
}

/** The prompt shown before each line. */
export const CHAT_PROMPT = '> ';

/** Shown after a turn refused as invalid while the session has history. */
export const TOO_LONG_HINT = 'If the conversation has grown too long for the limits, /new starts a new one.\n';

/** The session's commands (a line that is exactly one of these). */
export const CHAT_COMMANDS = { exit: '/exit', new: '/new' } as const;

/** Runs the session until `/exit`, Ctrl-D or Ctrl-C at the prompt; resolves with the exit code. Never rejects. */
export const chat = async (request: SessionRequest, env: ChatEnv): Promise<ExitCode> => {
  let plugin: DialoguePlugin | undefined;
  try {
    plugin = createRunPlugin(request, env);
  } catch (error) {
    env.io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.system;
  }
  const rl = readline.createInterface({ input: env.input, output: env.promptOutput, terminal: env.terminal, prompt: CHAT_PROMPT });
  let turn: AbortController | undefined;
  const interrupt = (): void => {
    if (turn !== undefined) {
      turn.abort();
      return;
    }
    if (env.terminal && rl.line !== '') {
      // A typed, unsent line: drop it and prompt again, as a shell does.
      env.promptOutput.write('^C\n');
      (rl as unknown as { line: string }).line = '';
      rl.prompt();
      return;
    }
    rl.close();
  };
  rl.on('SIGINT', interrupt);
  const offSigint = env.onSigint(interrupt);
  const endSession = (): void => {
    turn?.abort();
    rl.close();
  };
  env.signal?.addEventListener('abort', endSession, { once: true });

  let history: readonly ChatMessage[] = [];
  try {
    rl.prompt();
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === CHAT_COMMANDS.exit) break;
      if (line === CHAT_COMMANDS.new) {
        history = [];
        env.promptOutput.write('New conversation.\n');
      } else if (line !== '') {
        const asked: readonly ChatMessage[] = [...history, { role: 'user', content: line }];
        turn = new AbortController();
        const outcome = await runTurn(plugin, withSystem(request.system, asked), request, { ...env, signal: turn.signal });
        turn = undefined;
        if (outcome.answer !== undefined) history = [...asked, { role: 'assistant', content: outcome.answer }];
        else if (outcome.code === EXIT.usage && history.length > 0) env.promptOutput.write(TOO_LONG_HINT);
      }
      if (env.signal?.aborted === true) break;
      rl.prompt();
    }
  } finally {
    offSigint();
    env.signal?.removeEventListener('abort', endSession);
    rl.close();
  }
  return closeRunPlugin(plugin, EXIT.ok, env.io);
};
