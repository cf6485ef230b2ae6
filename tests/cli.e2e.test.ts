import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from './helpers/home.js';
import { CLI, ROOT } from './helpers/mcp.js';
import { startRawStdio } from './helpers/raw-stdio.js';
import { startSshd } from './helpers/sshd.js';
import { waitFor } from './helpers/wait.js';

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion (killed after `timeoutMs`, which fails the test through the exit signal). */
function runCli(args: string[], env: Record<string, string>, opts: { stdin?: 'ignore' | 'closed' } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: env.DECKHAND_HOME ?? '/nonexistent', ...env },
      stdio: [opts.stdin === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.stdin !== 'ignore') child.stdin?.end();
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('deckhand CLI', () => {
  let home: { dir: string; cleanup(): void };
  beforeEach(() => {
    home = tempHome();
  });
  afterEach(() => home.cleanup());

  it('prints help and version and exits 0', async () => {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    for (const flag of ['--help', '-h']) {
      const r = await runCli([flag], { DECKHAND_HOME: home.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^deckhand \S+ — /);
      expect(r.stdout).toContain('Usage:');
      expect(r.stdout).toContain('deckhand serve --http');
      expect(r.stdout).toContain('DECKHAND_HOME');
    }
    // A command group's or a command's own help: its usage only, on stdout.
    for (const args of [
      ['jobs', '--help'],
      ['templates', '-h'],
      ['pool', '--help'],
    ]) {
      const r = await runCli(args, { DECKHAND_HOME: home.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage:\\n  deckhand ${args[0]} `));
    }
    for (const flag of ['--version', '-v']) {
      const r = await runCli([flag], { DECKHAND_HOME: home.dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('rejects an unknown command or option with exit code 2 and the usage', async () => {
    const cmd = await runCli(['frobnicate'], { DECKHAND_HOME: home.dir });
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('Unknown command "frobnicate"');
    expect(cmd.stderr).toContain('Usage:');
    expect(cmd.stdout).toBe('');
    // A typo must not start a server that silently ignores it (here: on the default port instead of 9999).
    for (const args of [['--hepl'], ['serve', '--http', '--prot', '9999']]) {
      const r = await runCli(args, { DECKHAND_HOME: home.dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/Unknown option "--(hepl|prot)"/);
      expect(r.stdout).toBe('');
    }
    const noValue = await runCli(['serve', '--http', '--host'], { DECKHAND_HOME: home.dir });
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('Option "--host" needs a value');
    // --port alone would start the stdio server and ignore it: refused, saying what to add.
    const noHttp = await runCli(['serve', '--port', '9999'], { DECKHAND_HOME: home.dir });
    expect(noHttp.code).toBe(2);
    expect(noHttp.stderr).toContain('add --http');
  });

  it('refuses a bad configuration with exit code 1 naming the variable', async () => {
    const r = await runCli([], { DECKHAND_HOME: home.dir, DECKHAND_CONNECT_TIMEOUT_S: 'soon' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('DECKHAND_CONNECT_TIMEOUT_S="soon"');
    expect(r.stdout).toBe('');
  });

  it('exits cleanly when started without a terminal and stdin is closed', async () => {
    for (const stdin of ['closed', 'ignore'] as const) {
      const r = await runCli([], { DECKHAND_HOME: home.dir }, { stdin });
      expect(r.signal, stdin).toBeNull();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      // No terminal, no banner: an MCP client reading stderr gets only log lines.
      expect(r.stderr).not.toContain('waiting for an MCP client');
    }
  });

  it('tells a human on a terminal what it is waiting for, on stderr, and quits on Ctrl-C', async () => {
    const errFile = path.join(home.dir, 'stderr.txt');
    // script(1) runs deckhand on a pseudo-terminal; its stderr goes to a file so the banner's stream is known.
    const child: ChildProcess = spawn(
      'script',
      ['-qec', `exec "${process.execPath}" "${CLI}" 2>"${errFile}"`, '/dev/null'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: home.dir, DECKHAND_HOME: home.dir, TERM: 'dumb' },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let ptyOut = '';
    child.stdout?.on('data', (d: Buffer) => (ptyOut += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const stderr = () => (fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8') : '');
      await waitFor(() => stderr().includes('Press Ctrl-C to quit'), 'the banner', 10_000, 25);
      expect(stderr()).toMatch(/MCP server on stdio, waiting for an MCP client to send "initialize" on stdin/);
      expect(stderr()).toMatch(/claude mcp add deckhand/);
      expect(ptyOut).not.toContain('waiting for an MCP client'); // not on stdout
      child.stdin?.write('\x03'); // Ctrl-C on the terminal: SIGINT to deckhand
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
      expect(code).toBe(130);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('writes nothing but JSON-RPC on stdout during a full stdio session, logs included', async () => {
    const sshd = await startSshd();
    try {
      const raw = await startRawStdio({ DECKHAND_HOME: home.dir, DECKHAND_LOG_LEVEL: 'trace' });
      await raw.request('tools/list');
      await raw.request('logging/setLevel', { level: 'debug' });
      const add = await raw.request('tools/call', {
        name: 'add-server',
        arguments: { name: 'box', host: sshd.host, port: sshd.port, user: sshd.user, private_key_path: sshd.clientKey },
      });
      expect(add.result?.isError, JSON.stringify(add)).toBeFalsy();
      const bash = await raw.request('tools/call', {
        name: 'remote-bash',
        arguments: { server: 'box', command: 'echo to-stdout; echo to-stderr >&2; printf "no newline"' },
      });
      expect(bash.result?.isError, JSON.stringify(bash)).toBeFalsy();
      await raw.request('tools/call', { name: 'remote-bash', arguments: { server: 'nope', command: 'true' } });
      await raw.request('tools/call', { name: 'add-server', arguments: { name: 'Bad Name' } });
      await raw.request('ping');
      raw.sendLine('not json at all');
      await raw.waitForMessage((m) => m.id === null);
      expect(await raw.close()).toBe(0);

      expect(raw.stdoutLines.length).toBeGreaterThanOrEqual(8);
      for (const line of raw.stdoutLines) {
        const msg = JSON.parse(line) as { jsonrpc?: string };
        expect(msg.jsonrpc, line.slice(0, 200)).toBe('2.0');
      }
      // Logging did happen, on stderr.
      expect(raw.stderr()).toMatch(/"level":\d+/);
      expect(raw.stderr()).toContain('deckhand MCP server ready on stdio');
    } finally {
      await sshd.stop();
    }
  });
});
