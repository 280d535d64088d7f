/**
 * `npm run serve`: the dialogue server on 127.0.0.1:8787 (see `serveUsage` for the options).
 * Wiring only: parses the arguments, resolves the CLI's set-up (`resolveSetup`), builds the
 * plugin, starts the server and prints `Listening on http://HOST:PORT/` on stdout once bound
 * (the bound port, also for `--port 0`). SIGTERM/SIGINT shut down gracefully (`gracefulShutdown`)
 * and exit 0; after 5 s, or on a second signal (a second one within 1 s is taken for the same
 * stop delivered twice), the process exits 1 at once: `stopOnSignals`, which also says why the
 * `serve` script must `exec` node. The same for `node --import tsx src/cli/serve.ts` and for
 * the built `node dist/src/cli/serve.js`.
 */
import type { AddressInfo } from 'node:net';
import { readConfigFile } from './config/read-config-file';
import { EXIT } from './exit-codes';
import { renderSetupFailure, resolveSetup } from './setup';
import { createDialogueServer } from '../index';
import { gracefulShutdown } from '../index';
import { parseServeArgs, serveUsage } from './serve/serve-args';
import { createServePlugin } from './serve/serve-plugin';
import { stopOnSignals } from './serve/stop-on-signals';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const main = (): void => {
  const parsed = parseServeArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(serveUsage());
    return;
  }
  if (parsed.kind === 'usage-error') {
    process.stderr.write(`Error: ${parsed.message}\n\n${serveUsage()}`);
    process.exitCode = EXIT.usage;
    return;
  }
  const { options } = parsed;
  // Under `npm run` the working folder is the package's; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const setup = resolveSetup({ args: { config: options.config }, env: process.env, cwd, readFile: readConfigFile });
  if (setup._tag === 'Left') {
    process.stderr.write(renderSetupFailure(setup.left));
    process.exitCode = EXIT.usage;
    return;
  }
  if (setup.right.notice !== undefined) process.stderr.write(`${setup.right.notice}\n`);

  const { plugin, cache } = createServePlugin(setup.right, options, {
    cwd,
    warn: (message) => process.stderr.write(`Warning: ${message}\n`),
    onSystemError: (error, context) => process.stderr.write(`System error (${context.stage}, request ${context.requestId}): ${errorMessage(error)}\n`),
  });
  const server = createDialogueServer({
    plugin,
    apiKey: options.apiKey,
    readiness: { cache },
    onError: (error) => process.stderr.write(`Server error: ${errorMessage(error)}\n`),
  });
  stopOnSignals({
    shutdown: gracefulShutdown(server, plugin),
    exit: (code) => process.exit(code),
    report: (message) => process.stderr.write(`${message}\n`),
  });

  server.once('error', (error) => {
    process.stderr.write(`Error: cannot listen on ${options.host}:${options.port}: ${errorMessage(error)}\n`);
    void plugin.close().finally(() => process.exit(EXIT.system));
  });
  server.listen(options.port, options.host, () => {
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    process.stdout.write(`Listening on http://${host}:${port}/\n`);
    if (!LOOPBACK.has(options.host) && options.apiKey === undefined) {
      process.stderr.write('Warning: listening beyond this machine without DIALOGUE_API_KEY: anyone who can reach it can use it.\n');
    }
  });
};

main();
