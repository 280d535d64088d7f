/**
 * `npm run serve`: the dialogue server on 127.0.0.1:8787 (see `serveUsage` for the options).
 * Wiring only: parses the arguments, resolves the CLI's set-up (`resolveSetup`), reads the API
 * keys file if any, builds the plugin, starts the server and prints `Listening on
 * http://HOST:PORT/` on stdout once bound (the bound port, also for `--port 0`). The server's
 * log (one JSON line per request, at `--log-level`) goes to stdout after that line; this
 * command's own messages stay human-readable on stderr, redacted (`redact-output.ts`) like
 * everything else it writes there. SIGTERM/SIGINT shut down gracefully (`gracefulShutdown`)
 * and exit 0; after 5 s, or on a second signal (a second one within 1 s is taken for the same
 * stop delivered twice), the process exits 1 at once: `stopOnSignals`, which also says why the
 * `serve` script must `exec` node. The same for `node --import tsx src/cli/serve.ts` and for
 * the built `node dist/src/cli/serve.js`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readConfigFile } from './config/read-config-file';
import { EXIT } from './exit-codes';
import { writeStderr } from './redact-output';
import { renderSetupFailure, resolveSetup } from './setup';
import { createDialogueServer, type ApiKeys, type DialoguePlugin, type ResponseCache } from '../index';
import { gracefulShutdown } from '../index';
import { readApiKeysFile } from './serve/api-keys-file';
import { parseServeArgs, serveUsage, type ServeOptions } from './serve/serve-args';
import { createServePlugin } from './serve/serve-plugin';
import { stopOnSignals } from './serve/stop-on-signals';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The server for `options`, or the problem with them (a TypeError's message). */
const createServer = (plugin: DialoguePlugin, options: ServeOptions, apiKeys: ApiKeys | undefined, cache: ResponseCache | undefined): Server | string => {
  try {
    return createDialogueServer({
      plugin,
      readiness: { cache },
      apiKey: options.apiKey,
      apiKeys,
      metricsKey: options.metricsKey,
      allowedHosts: options.allowedHosts,
      maxConnections: options.maxConnections,
      tenantLimits: { concurrent: options.tenantConcurrent, perMinute: options.tenantPerMinute },
      log: { level: options.logLevel },
    });
  } catch (error) {
    return errorMessage(error);
  }
};

const main = (): void => {
  const parsed = parseServeArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(serveUsage());
    return;
  }
  if (parsed.kind === 'usage-error') {
    writeStderr(`Error: ${parsed.message}\n\n${serveUsage()}`);
    process.exitCode = EXIT.usage;
    return;
  }
  const { options } = parsed;
  // Under `npm run` the working folder is the package's; INIT_CWD is where the user typed the command.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const setup = resolveSetup({ args: { config: options.config }, env: process.env, cwd, readFile: readConfigFile });
  if (setup._tag === 'Left') {
    writeStderr(renderSetupFailure(setup.left));
    process.exitCode = EXIT.usage;
    return;
  }
  const keysFile = options.apiKeysFile === undefined ? undefined : readApiKeysFile(options.apiKeysFile);
  if (keysFile?._tag === 'Left') {
    writeStderr(`Error: ${keysFile.left}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  if (keysFile?.right.warning !== undefined) writeStderr(`Warning: ${keysFile.right.warning}\n`);
  if (setup.right.notice !== undefined) writeStderr(`${setup.right.notice}\n`);

  const { plugin, cache } = createServePlugin(setup.right, options, {
    cwd,
    warn: (message) => writeStderr(`Warning: ${message}\n`),
    onSystemError: (error, context) => writeStderr(`System error (${context.stage}, request ${context.requestId}): ${errorMessage(error)}\n`),
  });
  const server = createServer(plugin, options, keysFile?.right.keys as ApiKeys | undefined, cache);
  if (typeof server === 'string') {
    writeStderr(`Error: ${server.replace(/^createDialogueServer: /, '')}\n`);
    process.exitCode = EXIT.usage;
    void plugin.close();
    return;
  }
  stopOnSignals({
    shutdown: gracefulShutdown(server, plugin),
    exit: (code) => process.exit(code),
    report: (message) => writeStderr(`${message}\n`),
  });

  server.once('error', (error) => {
    writeStderr(`Error: cannot listen on ${options.host}:${options.port}: ${errorMessage(error)}\n`);
    void plugin.close().finally(() => process.exit(EXIT.system));
  });
  server.listen(options.port, options.host, () => {
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    process.stdout.write(`Listening on http://${host}:${port}/\n`);
    if (!LOOPBACK.has(options.host) && options.apiKey === undefined && keysFile === undefined) {
      writeStderr('Warning: listening beyond this machine without DIALOGUE_API_KEY or an API keys file: anyone who can reach it can use it.\n');
    }
  });
};

main();
