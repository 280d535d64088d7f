/**
 * `--chat` on a real pseudo-terminal (util-linux `script`): readline owns the terminal in raw
 * mode there, so Ctrl-C arrives as the byte 0x03 (readline's own SIGINT), and Ctrl-D as 0x04.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunk, DONE, fakeOpenAIServer, roleChunk, type FakeOpenAIServer } from '../support/fake-openai-server';

const ROOT = path.resolve(__dirname, '../..');
const CTRL_C = '\x03';
const CTRL_D = '\x04';

const messagesOf = (body: string): unknown => (JSON.parse(body) as { messages: unknown }).messages;

describe('dialogue --chat on a terminal', () => {
  let dir: string;
  let upstream: FakeOpenAIServer | undefined;
  let child: ChildProcess | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dialogue-chat-tty-'));
  });

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    child = undefined;
    await upstream?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Ctrl-C cancels the streaming answer and keeps the session; Ctrl-D at the prompt ends it with 0', async () => {
    upstream = await fakeOpenAIServer([
      { writes: [roleChunk, chunk('Let me think')], then: 'stall' },
      { writes: [roleChunk, chunk('Fine, thanks.', 'stop'), DONE] },
    ]);
    fs.writeFileSync(path.join(dir, 'dialogue.config.json'), JSON.stringify({
      experts: [{ provider: 'openai-compatible', id: 'fake', baseURL: upstream.baseURL, model: 'm' }],
    }));
    const env: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: dir, NO_COLOR: '1', TERM: 'xterm', COLUMNS: '100', LINES: '40' };
    for (const name of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL']) delete env[name];
    const command = `exec ${process.execPath} --import tsx src/cli/main.ts --chat --no-cache`;
    child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let waiters: Array<() => boolean> = [];
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      screen += text;
      waiters = waiters.filter((check) => !check());
    });
    /** Resolves once the screen (from `from` on) matches; fails after 20 s showing the screen, so a hang says where it stopped. */
    const shows = (pattern: RegExp, from = 0): Promise<void> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the screen never showed ${pattern}:\n${JSON.stringify(screen)}`)), 20_000);
      const check = (): boolean => {
        if (!pattern.test(screen.slice(from))) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      if (!check()) waiters.push(check);
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const type = (keys: string): void => {
      child!.stdin!.write(keys);
    };

    await shows(/> /);
    type('A slow question?\r');
    const inFlight = await upstream.request(0);
    type(CTRL_C);
    expect(await inFlight.closed).toEqual({ aborted: true });
    await shows(/Cancelled\./);

    const mark = screen.length;
    await shows(/> /, screen.indexOf('Cancelled.'));
    type('How are you?\r');
    await shows(/Answer \(\d+ ms\):\r?\nFine, thanks\./, mark);
    expect(messagesOf((await upstream.request(1)).body)).toEqual([{ role: 'user', content: 'How are you?' }]);
    await shows(/Bottlenecks[^\n]*\r?\n[\s\S]*> (\x1b\[\d+G)?$/, mark); // readline moves the cursor after its prompt
    type(CTRL_D);
    expect(await exited).toBe(0);
  }, 45_000);
});
