#!/usr/bin/env node
// The binary's entry and the only module that touches the process: argv, env, stdio, signals, exit. The heap is
// sized before anything else loads (loading the MCP SDK alone would already grow V8's young generation, see
// heap.ts), so everything past heap.ts is imported dynamically, and the HTTP stack only for --http.
import { keepWasmAtBaseline, keepYoungGenerationSmall } from './heap.js';

keepYoungGenerationSmall();
keepWasmAtBaseline();

const { ConfigError, loadConfig } = await import('./config.js');
const { packageVersion } = await import('./version.js');
const { CLI_COMMANDS, CliOutput, findCommand, parseCommand, runCliCommand, usageText, UsageError } =
  await import('./commands/index.js');
type CommandSpec = import('./commands/index.js').CommandSpec<unknown>;

const SERVE_USAGE = 'deckhand serve --http [--host 127.0.0.1] [--port 8765]';
const DASHBOARD_USAGE = 'deckhand dashboard [--port 8766]';

/** The whole command table: serving MCP (here, it owns stdio and signals) and the human commands. */
const TABLE: readonly CommandSpec[] = [
  {
    words: [],
    usage: 'deckhand',
    summary: 'serve MCP over stdio (what MCP clients launch)',
    run: () => serve(['--stdio']),
  },
  {
    words: ['serve'],
    usage: SERVE_USAGE,
    summary: 'serve MCP over Streamable HTTP at /mcp, and the dashboard at /',
    run: (args) => serve(args),
  },
  {
    words: ['dashboard'],
    usage: DASHBOARD_USAGE,
    summary: 'serve the web dashboard alone on 127.0.0.1 (for MCP clients on stdio)',
    run: (args) => dashboardCommand(args),
  },
  ...(CLI_COMMANDS as readonly CommandSpec[]),
  { words: ['--help'], usage: 'deckhand --help | --version', summary: 'this text; the version', run: async () => 0 },
];

const HELP = `deckhand ${packageVersion()} — an MCP server that gives AI assistants safe hands on Linux servers.

Usage:
${usageText(TABLE)}

Environment:
  DECKHAND_HOME        data directory (default ~/.deckhand)
  DECKHAND_LOG_LEVEL   fatal|error|warn|info|debug|trace|silent (default info); logs go to stderr
  DECKHAND_LOG_FILE    write logs to this file instead of stderr
  DECKHAND_HTTP_TOKEN  bearer token required by the HTTP transport (mandatory off loopback)
  DECKHAND_HTTP_ALLOWED_HOSTS, DECKHAND_HTTP_ALLOWED_ORIGINS  extra Host / Origin values to accept
  DECKHAND_DASHBOARD   full|readonly|off (default full): the web dashboard's actions, or no dashboard
  DECKHAND_MAX_JOBS, DECKHAND_MAX_JOBS_PER_SERVER, DECKHAND_JOB_TIMEOUT_S  job limits
See README.md and tools.md for the full list.`;

const STDIO_BANNER = `deckhand ${packageVersion()}: MCP server on stdio, waiting for an MCP client to send "initialize" on stdin.
This is not an interactive program. Connect a client instead, for example:
  claude mcp add deckhand -- deckhand            (Claude Code)
  npx @modelcontextprotocol/inspector deckhand   (MCP Inspector)
or run "deckhand serve --http" for Streamable HTTP. Press Ctrl-C to quit.`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(packageVersion() + '\n');
    return 0;
  }
  const found = findCommand(TABLE, argv);
  const group = TABLE.filter((c) => c.words.length > 1 && c.words[0] === argv[0]);
  if (argv.slice(1).some((a) => a === '--help' || a === '-h')) {
    // "deckhand jobs --help", "deckhand pool --help": the usage of what was named, on stdout, exit 0.
    const named = group.length > 0 ? group : TABLE.filter((c) => c.words[0] === argv[0]);
    if (named.length > 0) {
      process.stdout.write(`Usage:\n${usageText(named)}\n`);
      return 0;
    }
  }
  if (group.length > 0 && (!found || found.spec.words[0] !== argv[0])) {
    // A group's word with no (or an unknown) command after it: the group's own usage.
    const message =
      argv[1] === undefined
        ? `Missing the ${argv[0]} command.`
        : `Unknown command "deckhand ${argv.slice(0, 2).join(' ')}".`;
    process.stderr.write(`deckhand: ${message}\nUsage:\n${usageText(group)}\n`);
    return 2;
  }
  if (!found || (found.spec.words.length === 0 && argv.length > 0) || found.spec.words[0] === '--help') {
    const what = argv[0]?.startsWith('-') ? `option "${argv[0]}"` : `command "${argv.slice(0, 2).join(' ')}"`;
    process.stderr.write(`Unknown ${what}.\n\n${HELP}\n`);
    return 2;
  }
  if (found.spec.words[0] === 'serve' || found.spec.words[0] === 'dashboard' || found.spec.words.length === 0) {
    try {
      return await found.spec.run(found.args, undefined);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      process.stderr.write(`deckhand: ${err.message}\n\n${HELP}\n`);
      return 2;
    }
  }
  const config = loadConfig(process.env);
  const { createApp } = await import('./app.js');
  const { silentLogger } = await import('./logger.js');
  // A CLI command reads and cancels; it never starts the engine, so it executes nothing.
  const app = await createApp({ config, logger: silentLogger(), env: process.env, process: thisProcess() });
  try {
    const { userInfo, hostname } = await import('node:os');
    const ctx = {
      config,
      jobs: app.services.jobs,
      servers: app.services.servers,
      safety: app.services.safety,
      audit: app.services.audit,
      templates: app.services.templates,
      remoteBash: app.services.remoteBash,
      person: `cli:${userInfo().username}@${hostname()}`,
      io: new CliOutput(process.stdout, process.stderr),
    };
    return await runCliCommand(found.spec, found.args, ctx);
  } finally {
    await app.close();
  }
}

/** Serves MCP: over stdio (plain `deckhand`, or `serve` alone), or over HTTP (serve --http). Runs until the client leaves or a signal. */
async function serve(args: string[]): Promise<number> {
  if (args[0] === '--stdio') return startServer({ http: false, host: '', port: 0 });
  const { values } = parseCommand(
    args,
    { http: { type: 'boolean' }, host: { type: 'string' }, port: { type: 'string' } },
    SERVE_USAGE,
    0,
  );
  if (!values.http) {
    if (values.host !== undefined || values.port !== undefined) {
      throw new UsageError(
        '--host and --port apply to the HTTP transport: add --http (deckhand serve --http --port 8765).',
        SERVE_USAGE,
      );
    }
    return startServer({ http: false, host: '', port: 0 });
  }
  const raw = typeof values.port === 'string' ? values.port : '8765';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new UsageError(`--port must be a number from 0 to 65535, got "${raw}".`, SERVE_USAGE);
  }
  return startServer({ http: true, host: typeof values.host === 'string' ? values.host : '127.0.0.1', port });
}

async function startServer(opts: { http: boolean; host: string; port: number }): Promise<number> {
  const config = loadConfig(process.env);
  const { createLogger } = await import('./logger.js');
  const { createApp } = await import('./app.js');
  const { mcpServerFactory } = await import('./mcp/server.js');
  const logger = createLogger(config, { pretty: process.stderr.isTTY === true });
  // One failed callback deep inside a socket library must not take every client's session down with it.
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception (deckhand keeps running)'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection (deckhand keeps running)'));
  const app = await createApp({ config, logger, env: process.env, process: thisProcess() });
  await app.start();
  const createServer = mcpServerFactory(app.services, logger);
  let stopping = false;
  // The dashboard's own background work (its reachability probe) ends before the app it reads.
  let closeDashboard: (() => Promise<void>) | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // A shutdown that hangs (a stuck socket, a bug) must not leave a process behind: give it 5 s, then go.
    setTimeout(() => process.exit(code), 5000).unref();
    await closeDashboard?.().catch(() => undefined);
    await app.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));

  if (opts.http) {
    const { serveHttp } = await import('./mcp/transports/http.js');
    const pages =
      config.dashboard.mode === 'off'
        ? undefined
        : (await import('./dashboard/index.js')).dashboardForApp(app, opts.host);
    closeDashboard = pages ? () => pages.dashboard.close() : undefined;
    const handle = await serveHttp(createServer, logger, {
      host: opts.host,
      port: opts.port,
      token: config.http.token,
      tokens: config.http.tokens,
      allowedHosts: config.http.allowedHosts,
      allowedOrigins: config.http.allowedOrigins,
      sessionIdleMs: config.http.sessionIdleMs,
      pages: pages ? (req, res) => pages.dashboard.handle(req, res) : undefined,
    });
    process.stderr.write(
      `deckhand ${packageVersion()}: MCP over Streamable HTTP at ${handle.url}${config.http.tokens.length ? ' (bearer token required)' : ''}\n`,
    );
    if (pages) process.stderr.write(`Dashboard at ${handle.url.replace(/mcp$/, '')} (${pages.loginHint})\n`);
    return new Promise<number>(() => undefined);
  }
  if (process.stdin.isTTY) process.stderr.write(STDIO_BANNER + '\n');
  const { serveStdio } = await import('./mcp/transports/stdio.js');
  await serveStdio(createServer, logger, { stdin: process.stdin, stdout: process.stdout });
  await stop(0);
  return 0;
}

/** This process as the job system knows it: an instance whose jobs others take over once its pid is gone. */
function thisProcess() {
  return {
    pid: process.pid,
    isAlive: (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        // EPERM: alive, but another user's.
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  };
}

/** The dashboard alone on loopback, over the same home as the stdio server an MCP client runs (it executes nothing). */
async function dashboardCommand(args: string[]): Promise<number> {
  const { values } = parseCommand(args, { port: { type: 'string' } }, DASHBOARD_USAGE, 0);
  const raw = typeof values.port === 'string' ? values.port : '8766';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new UsageError(`--port must be a number from 0 to 65535, got "${raw}".`, DASHBOARD_USAGE);
  }
  const config = loadConfig(process.env);
  if (config.dashboard.mode === 'off') {
    process.stderr.write(
      'deckhand: the dashboard is off (DECKHAND_DASHBOARD=off); unset it or set full or readonly.\n',
    );
    return 1;
  }
  const { createLogger } = await import('./logger.js');
  const { createApp } = await import('./app.js');
  const { dashboardForApp, serveDashboard } = await import('./dashboard/index.js');
  const logger = createLogger(config, { pretty: process.stderr.isTTY === true });
  // Like the CLI commands, it never starts the engine: it reads and cancels; the stdio server executes.
  const app = await createApp({ config, logger, env: process.env, process: thisProcess() });
  const host = '127.0.0.1';
  const { dashboard, loginHint } = dashboardForApp(app, host);
  const server = await serveDashboard(dashboard, logger, { host, port });
  process.stderr.write(`deckhand ${packageVersion()}: dashboard at ${server.url} (${loginHint})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  setTimeout(() => process.exit(0), 5000).unref();
  await server.close();
  await app.close();
  return 0;
}

const argv = process.argv.slice(2);
await main(argv).then(
  (code) => {
    // A server that returns has finished its work; a command's code is its answer.
    if (code !== 0 || argv.length > 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`deckhand: ${err.message}\nUsage:\n  ${err.usage ?? ''}\n`);
      process.exitCode = 2;
    } else if (err instanceof ConfigError) {
      process.stderr.write(`deckhand: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`deckhand: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
