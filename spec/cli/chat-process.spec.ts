import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunk, DONE, fakeOpenAIServer, roleChunk, type FakeOpenAIServer, type ScriptedReply } from '../support/fake-openai-server';

const ROOT = path.resolve(__dirname, '../..');

const answered = (...parts: string[]): ScriptedReply => ({
  writes: [roleChunk, ...parts.slice(0, -1).map((part) => chunk(part)), chunk(parts[parts.length - 1], 'stop'), DONE],
});

/** The messages an expert request sent upstream. */
const messagesOf = (body: string): unknown => (JSON.parse(body) as { messages: unknown }).messages;

/** The CLI in chat mode (`src/cli/main.ts --chat`, as `npm run dev` runs it), stdin and stdout piped. */
class ChatProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => boolean> = [];

  constructor(dir: string, args: readonly string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: dir, NO_COLOR: '1' };
    for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL']) delete env[name];
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--chat', '--no-cache', ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => this.seen(() => (this.stdout += text)));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => this.seen(() => (this.stderr += text)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  type(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Resolves once `test` holds for what the process printed so far. */
  until(test: (proc: ChatProcess) => boolean): Promise<void> {
    if (test(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(() => {
      if (!test(this)) return false;
      resolve();
      return true;
    }));
  }

  private seen(append: () => void): void {
    append();
    this.waiters = this.waiters.filter((check) => !check());
  }
}

describe('dialogue --chat (the CLI process)', () => {
  let dir: string;
  let upstream: FakeOpenAIServer;
  let proc: ChatProcess | undefined;

  const start = async (replies: readonly ScriptedReply[], args: readonly string[] = [], limits?: { maxPromptChars: number }): Promise<ChatProcess> => {
    upstream = await fakeOpenAIServer(replies);
    fs.writeFileSync(path.join(dir, 'dialogue.config.json'), JSON.stringify({
      experts: [{ provider: 'openai-compatible', id: 'fake', baseURL: upstream.baseURL, model: 'm' }],
      ...(limits === undefined ? {} : { limits }),
    }));
    proc = new ChatProcess(dir, args);
    return proc;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-chat-'));
  });

  afterEach(async () => {
    if (proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await proc?.exited;
    proc = undefined;
    await upstream?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends the whole conversation on each turn (system prompt, first question and answer, new question) and ends on /exit with 0', async () => {
    const chat = await start([answered('A monad is ', 'a burrito.'), answered('A functor ', 'maps.')], ['--system', 'Be brief']);
    chat.type('What is a monad?');
    chat.type('And a functor?');
    chat.type('/exit');
    expect(await chat.exited).toEqual({ code: 0, signal: null });

    expect(upstream.requests).toHaveLength(2);
    expect(messagesOf(upstream.requests[0].body)).toEqual([
      { role: 'system', content: 'Be brief' },
      { role: 'user', content: 'What is a monad?' },
    ]);
    expect(messagesOf(upstream.requests[1].body)).toEqual([
      { role: 'system', content: 'Be brief' },
      { role: 'user', content: 'What is a monad?' },
      { role: 'assistant', content: 'A monad is a burrito.' },
      { role: 'user', content: 'And a functor?' },
    ]);
    // Both answers rendered as in one-shot mode, in order, each after a prompt.
    const first = chat.stdout.indexOf('\nAnswer (');
    expect(first).toBeGreaterThan(0);
    expect(chat.stdout.indexOf('A monad is a burrito.', first)).toBeGreaterThan(first);
    expect(chat.stdout.indexOf('A functor maps.', first)).toBeGreaterThan(chat.stdout.indexOf('A monad is a burrito.', first));
    expect(chat.stdout.startsWith('> ')).toBe(true);
    expect(chat.stderr).toBe('');
  }, 30_000);

  it('when the conversation outgrows the limits, says that /new starts over, and /new does', async () => {
    const chat = await start([answered('An answer of some thirty characters.'), answered('Fresh.')], [], { maxPromptChars: 60 });
    chat.type('First question?');
    chat.type('A second question that no longer fits?');
    chat.type('/new');
    chat.type('Again?');
    chat.type('/exit');
    expect(await chat.exited).toEqual({ code: 0, signal: null });
    expect(chat.stdout).toContain('If the conversation has grown too long for the limits, /new starts a new one.\n');
    expect(upstream.requests).toHaveLength(2);
    expect(messagesOf(upstream.requests[1].body)).toEqual([{ role: 'user', content: 'Again?' }]);
  }, 30_000);

  it('/new clears the history; end of input (Ctrl-D) ends the session with 0', async () => {
    const chat = await start([answered('One.'), answered('Two.')]);
    chat.type('First?');
    chat.type('/new');
    chat.type('Second?');
    chat.child.stdin!.end();
    expect(await chat.exited).toEqual({ code: 0, signal: null });
    expect(messagesOf(upstream.requests[1].body)).toEqual([{ role: 'user', content: 'Second?' }]);
    expect(chat.stdout).toContain('New conversation.\n');
  }, 30_000);

  it('SIGINT while an answer streams cancels that answer (the upstream call is torn down), leaves it out of the history, and the session answers the next turn', async () => {
    const chat = await start([
      { writes: [roleChunk, chunk('Let me think')], then: 'stall' },
      answered('Fine.'),
    ]);
    chat.type('A slow question?');
    const inFlight = await upstream.request(0);
    chat.child.kill('SIGINT');
    expect(await inFlight.closed).toEqual({ aborted: true });
    await chat.until((p) => p.stderr.includes('Cancelled.\n'));
    expect(chat.child.exitCode).toBeNull();

    chat.type('How are you?');
    await chat.until((p) => p.stdout.includes('Fine.'));
    expect(messagesOf((await upstream.request(1)).body)).toEqual([{ role: 'user', content: 'How are you?' }]);
    chat.child.stdin!.end();
    expect(await chat.exited).toEqual({ code: 0, signal: null });
    expect(chat.stdout).not.toContain('Let me think');
  }, 30_000);

  it('SIGINT at the prompt ends the session with 0', async () => {
    const chat = await start([answered('Yes.')]);
    chat.type('Ready?');
    await chat.until((p) => /Yes\.[\s\S]*\n> $/.test(p.stdout));
    chat.child.kill('SIGINT');
    expect(await chat.exited).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('with --json prints every turn as NDJSON events on stdout (the prompt goes to stderr)', async () => {
    const chat = await start([answered('One.'), answered('Two.')], ['--json']);
    chat.type('First?');
    chat.type('Second?');
    chat.child.stdin!.end();
    expect(await chat.exited).toEqual({ code: 0, signal: null });
    const events = chat.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; text?: string });
    expect(events.filter((event) => event.type === 'complete').map((event) => event.text)).toEqual(['One.', 'Two.']);
    expect(chat.stderr).toContain('> ');
  }, 30_000);

  it('refuses a prompt argument with --chat (exit 2)', async () => {
    const chat = await start([], ['Hello?']);
    chat.child.stdin!.end();
    expect(await chat.exited).toEqual({ code: 2, signal: null });
    expect(chat.stderr).toContain('--chat reads its prompts from the terminal');
  }, 30_000);

});
