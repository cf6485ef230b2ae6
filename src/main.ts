// The program behind the `deckhand` binary: it reads argv and env, owns stdio and signals. Started by cli.ts.
import { parseArgs } from 'node:util';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { serveStdio } from './mcp/transports/stdio.js';
import { packageVersion } from './version.js';
import { runCliCommand } from './commands/index.js';

const HELP = `deckhand ${packageVersion()} — an MCP server that gives AI assistants safe hands on Linux servers.

Usage:
  deckhand                          serve MCP over stdio (what MCP clients launch)
  deckhand serve --http [--host 127.0.0.1] [--port 8765]
                                    serve MCP over Streamable HTTP at /mcp
  deckhand servers list             list registered servers
  deckhand jobs list [--status S] [--server N] [--type T] [--limit N]
                                    recent jobs, newest first
  deckhand jobs show ID [--json]    one job's record
  deckhand jobs logs ID [--tail N] [-f|--follow] [--stream stdout|stderr] [--grep RE]
                                    a job's output; -f follows it until the job ends
                                    (exit 0 completed, 1 failed or lost, 130 cancelled)
  deckhand jobs cancel ID [--wait S]
                                    cancel a job (waits up to S seconds, default 15)
  deckhand --help | --version

Environment:
  DECKHAND_HOME        data directory (default ~/.deckhand)
  DECKHAND_LOG_LEVEL   fatal|error|warn|info|debug|trace|silent (default info); logs go to stderr
  DECKHAND_LOG_FILE    write logs to this file instead of stderr
  DECKHAND_HTTP_TOKEN  bearer token required by the HTTP transport (mandatory off loopback)
  DECKHAND_HTTP_ALLOWED_HOSTS, DECKHAND_HTTP_ALLOWED_ORIGINS  extra Host / Origin values to accept
  DECKHAND_MAX_JOBS, DECKHAND_MAX_JOBS_PER_SERVER, DECKHAND_JOB_TIMEOUT_S  job limits
See README.md and tools.md for the full list.`;

const STDIO_BANNER = `deckhand ${packageVersion()}: MCP server on stdio, waiting for an MCP client to send "initialize" on stdin.
This is not an interactive program. Connect a client instead, for example:
  claude mcp add deckhand -- deckhand            (Claude Code)
  npx @modelcontextprotocol/inspector deckhand   (MCP Inspector)
or run "deckhand serve --http" for Streamable HTTP. Press Ctrl-C to quit.`;

const SERVER_OPTIONS = ['help', 'version', 'http', 'host', 'port'];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      http: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(packageVersion() + '\n');
    return 0;
  }
  const config = loadConfig(process.env);
  const [cmd] = positionals;
  if (cmd === 'jobs' || cmd === 'servers') {
    return runCliCommand(config, argv, process.stdout, process.stderr);
  }
  if (cmd !== undefined && cmd !== 'serve') {
    process.stderr.write(`Unknown command "${cmd}".\n\n${HELP}\n`);
    return 2;
  }
  // parseArgs is lenient (the jobs commands have options of their own), so the server checks its options here:
  // a typo such as "--prot 9999" or a "--host" without a value must not start it on a default instead.
  for (const [key, value] of Object.entries(values)) {
    const flag = `${key.length === 1 ? '-' : '--'}${key}`;
    if (!SERVER_OPTIONS.includes(key)) {
      process.stderr.write(`Unknown option "${flag}".\n\n${HELP}\n`);
      return 2;
    }
    if ((key === 'host' || key === 'port') && typeof value !== 'string') {
      process.stderr.write(`Option "${flag}" needs a value, e.g. ${flag} ${key === 'host' ? '127.0.0.1' : '8765'}.\n`);
      return 2;
    }
  }
  if (!values.http && (values.host !== undefined || values.port !== undefined)) {
    process.stderr.write(
      '--host and --port apply to the HTTP transport: add --http (deckhand serve --http --port 8765).\n',
    );
    return 2;
  }
  const port = values.port === undefined ? 8765 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a number from 0 to 65535, got "${String(values.port)}".\n`);
    return 2;
  }
  const logger = createLogger(config);
  // One failed callback deep inside a socket library must not take every client's session down with it.
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception (deckhand keeps running)'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection (deckhand keeps running)'));
  const app = createApp({ config, logger, env: process.env });
  await app.start();
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // A shutdown that hangs (a stuck socket, a bug) must not leave a process behind: give it 5 s, then go.
    setTimeout(() => process.exit(code), 5000).unref();
    await app.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));

  if (values.http) {
    const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
    // Loaded only here: the stdio server, what MCP clients launch, has no use for an HTTP stack in memory.
    const { serveHttp } = await import('./mcp/transports/http.js');
    const handle = await serveHttp(app, logger, {
      host,
      port,
      token: config.http.token,
      allowedHosts: config.http.allowedHosts,
      allowedOrigins: config.http.allowedOrigins,
      sessionIdleMs: config.http.sessionIdleMs,
    });
    process.stderr.write(
      `deckhand ${packageVersion()}: MCP over Streamable HTTP at ${handle.url}${config.http.token ? ' (bearer token required)' : ''}\n`,
    );
    return new Promise<number>(() => undefined);
  }
  if (process.stdin.isTTY) process.stderr.write(STDIO_BANNER + '\n');
  await serveStdio(app, logger);
  await stop(0);
  return 0;
}

/** Runs deckhand with these arguments; settles process.exitCode (a server keeps running until a signal). */
export function run(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      if (code !== 0 || argv.length > 0) process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof ConfigError) process.stderr.write(`deckhand: ${err.message}\n`);
      else
        process.stderr.write(`deckhand: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
