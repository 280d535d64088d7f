/**
 * A flood of slow connections from a child process (so the flood's own sockets and event loop do
 * not share the server's): `total` sockets to 127.0.0.1:`port`, opened `batch` at a time, every
 * other one sending half a request header, the rest nothing. Resolves once every socket has
 * connected (or been closed by the server); the sockets stay open until `stop()`.
 */
import { spawn } from 'node:child_process';

/** The running flood. */
export interface Flood {
  /** How many sockets the server had closed, and how many were still open, when the flood was complete. */
  readonly closed: number;
  readonly open: number;
  /** Closes every socket and waits for the child to exit. */
  stop(): Promise<void>;
}

const SCRIPT = `
const net = require('node:net');
const [port, total, batch] = process.argv.slice(1).map(Number);
const partial = 'GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nX-Slow: ';
const sockets = new Set();
let closed = 0;
const one = (i) => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  sockets.add(socket);
  socket.on('error', () => undefined);
  socket.once('close', () => { sockets.delete(socket); closed++; resolve(); });
  socket.once('connect', () => { if (i % 2 === 0) socket.write(partial); resolve(); });
});
(async () => {
  for (let i = 0; i < total; i += batch) await Promise.all(Array.from({ length: Math.min(batch, total - i) }, (_, j) => one(i + j)));
  process.stdout.write(JSON.stringify({ open: sockets.size, closed }) + '\\n');
  process.stdin.resume();
  process.stdin.once('end', () => { for (const socket of sockets) socket.destroy(); process.exit(0); });
})();
`;

/** Starts the flood; see the file comment. */
export const startFlood = (port: number, total: number, batch: number): Promise<Flood> => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, ['-e', SCRIPT, String(port), String(total), String(batch)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    out += text;
    if (!out.includes('\n')) return;
    const { open, closed } = JSON.parse(out) as { open: number; closed: number };
    resolve({
      open, closed,
      stop: () => {
        child.stdin.end();
        return exited;
      },
    });
  });
  child.once('exit', (code) => reject(new Error(`the flood exited (${code}) before it was complete`)));
});
