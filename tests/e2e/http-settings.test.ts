// `deckhand serve --http` started with settings it must refuse: it exits saying why, and serves nothing.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { exited } from '../helpers/http-serve.js';
import { CLI } from '../helpers/mcp.js';

describe('deckhand serve --http refuses unsafe or bad settings', () => {
  it('will not listen on a non-loopback address without a token', async () => {
    const home = tempHome();
    try {
      const proc = spawn(process.execPath, [CLI, 'serve', '--http', '--host', '0.0.0.0', '--port', '0'], {
        env: { PATH: process.env.PATH ?? '', HOME: home.dir, DECKHAND_HOME: home.dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited(proc);
      clearTimeout(timer);
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(err).toMatch(/Refusing to serve HTTP on non-loopback host 0\.0\.0\.0 without a token/);
      expect(err).toContain('DECKHAND_HTTP_TOKEN');
    } finally {
      home.cleanup();
    }
  });

  it('refuses a bad port and a short token with exit code and message', async () => {
    const home = tempHome();
    try {
      for (const [args, env, pattern] of [
        [['--port', 'eighty'], {}, /--port must be a number/],
        [
          ['--port', '0'],
          { DECKHAND_HTTP_TOKEN: 'short' },
          /DECKHAND_HTTP_TOKEN=\(hidden\): use at least 16 characters/,
        ],
      ] as const) {
        const proc = spawn(process.execPath, [CLI, 'serve', '--http', '--host', '127.0.0.1', ...args], {
          env: { PATH: process.env.PATH ?? '', HOME: home.dir, DECKHAND_HOME: home.dir, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        const code = await exited(proc);
        clearTimeout(timer);
        expect(code, err).toBeGreaterThan(0);
        expect(err).toMatch(pattern);
      }
    } finally {
      home.cleanup();
    }
  });
});
