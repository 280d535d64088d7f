/**
 * A dialogue server in a process of its own, for the connection flood: run as
 * `node --import tsx spec/support/flood-target.ts '<options JSON>'`. Prints `{"port":N}` once
 * listening; closing its stdin stops it (exit 0). `startFloodTarget` runs it under a given
 * `ulimit -n`, as a small container would.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createDialogueServer, DialoguePlugin, simulatedExpert } from '../../src/index';

/** The running server process. */
export interface FloodTarget {
  readonly port: number;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Stops it; resolves with its exit code (null: killed by a signal). */
  stop(): Promise<number | null>;
}

/** Starts the server process with at most `fileLimit` open files and the server `options`. */
export const startFloodTarget = (fileLimit: number, options: Record<string, unknown> = {}): Promise<FloodTarget> => new Promise((resolve, reject) => {
  const root = path.resolve(__dirname, '../..');
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${fileLimit} && exec "$0" "$@"`, process.execPath, '--import', 'tsx', 'spec/support/flood-target.ts', JSON.stringify(options)], {
    cwd: root, stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (err += text));
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    out += text;
    if (!out.includes('\n')) return;
    const { port } = JSON.parse(out) as { port: number };
    resolve({ port, stderr: () => err, stop: () => { child.stdin.end(); return exited; } });
  });
  void exited.then((code) => reject(new Error(`the server exited (${code}) before listening: ${err}`)));
});

const main = (): void => {
  const plugin = new DialoguePlugin({ experts: [simulatedExpert({ id: 'a' })], cache: false });
  const server = createDialogueServer({ plugin, ...(JSON.parse(process.argv[2] ?? '{}') as object) });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
  process.stdin.resume();
  process.stdin.once('end', () => {
    server.closeAllConnections();
    server.close();
    void plugin.close().then(() => process.exit(0));
  });
};

if (require.main === module) main();
