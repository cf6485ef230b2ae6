import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import {
  call,
  connect,
  INITIALIZE,
  MCP_HEADERS,
  rawRequest,
  serveHttp,
  TOKEN,
  type Served,
} from '../helpers/http-serve.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

describe('deckhand serve --http', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let served: Served;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    served = await serveHttp({
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
      DECKHAND_HTTP_ALLOWED_HOSTS: 'deckhand.internal',
    });
  });
  afterAll(async () => {
    await served?.stop();
    await sshd?.stop();
    home?.cleanup();
  });

  it('serves tools to an SDK client with the bearer token and runs a command on a real sshd', async () => {
    const { client } = await connect(served.url);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['add-server', 'list-servers', 'remove-server', 'remote-bash']));
      const added = await call(client, 'add-server', {
        name: 'box',
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        private_key_path: sshd.clientKey,
      });
      expect(added.isError, textOf(added)).toBeFalsy();
      const r = structured<{ status: string; exit_code: number; stdout: string; stderr: string }>(
        await call(client, 'remote-bash', { server: 'box', command: 'echo over-http; echo err >&2' }),
      );
      expect(r).toMatchObject({ status: 'completed', exit_code: 0, stdout: 'over-http', stderr: 'err' });
    } finally {
      await client.close();
    }
  });

  it('answers 401 with WWW-Authenticate without a token or with a wrong one', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const res = await fetch(served.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...headers },
        body: JSON.stringify(INITIALIZE),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/DECKHAND_HTTP_TOKEN/);
    }
  });

  it('answers 403 to a foreign Host header (DNS rebinding), even with the right token', async () => {
    for (const host of ['evil.example', `evil.example:${served.port}`, `127.0.0.1.nip.io:${served.port}`]) {
      const res = await rawRequest(served.port, {
        headers: { ...MCP_HEADERS, ...auth, host },
        body: JSON.stringify(INITIALIZE),
      });
      expect(res.status, host).toBe(403);
      expect(res.body).toContain('not allowed');
    }
  });

  it('accepts loopback Host headers and the extra ones from DECKHAND_HTTP_ALLOWED_HOSTS', async () => {
    for (const host of [`127.0.0.1:${served.port}`, `localhost:${served.port}`, `deckhand.internal:${served.port}`]) {
      const res = await rawRequest(served.port, {
        headers: { ...MCP_HEADERS, ...auth, host },
        body: JSON.stringify(INITIALIZE),
      });
      expect(res.status, `${host}: ${res.body}`).toBe(200);
      const sid = res.headers['mcp-session-id'];
      expect(sid).toBeTypeOf('string');
      await rawRequest(served.port, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': sid as string } });
    }
  });

  it('answers 403 to a foreign Origin and accepts a loopback one', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${served.port}`, 'null']) {
      const res = await fetch(served.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...auth, origin },
        body: JSON.stringify(INITIALIZE),
      });
      expect(res.status, origin).toBe(403);
      expect(await res.text()).toContain('Origin');
    }
    const good = await fetch(served.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...auth, origin: `http://localhost:${served.port}` },
      body: JSON.stringify(INITIALIZE),
    });
    expect(good.status).toBe(200);
    const sid = good.headers.get('mcp-session-id');
    expect(sid).toBeTruthy();
    await good.body?.cancel();
    await fetch(served.url, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': sid as string } });
  });

  it('keeps two sessions apart, and a closed session is gone while the other goes on', async () => {
    const a = await connect(served.url);
    const b = await connect(served.url);
    try {
      const [sa, sb] = [a.transport.sessionId, b.transport.sessionId];
      expect(sa).toBeTruthy();
      expect(sb).toBeTruthy();
      expect(sa).not.toBe(sb);
      const [ra, rb] = await Promise.all([
        call(a.client, 'remote-bash', { server: 'box', command: 'echo from-a' }),
        call(b.client, 'remote-bash', { server: 'box', command: 'echo from-b' }),
      ]);
      expect(structured<{ stdout: string }>(ra).stdout).toBe('from-a');
      expect(structured<{ stdout: string }>(rb).stdout).toBe('from-b');

      // Closing a session (DELETE with its id) frees it: the id is no longer known, the other session is untouched.
      const del = await fetch(served.url, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': sa as string } });
      expect(del.status).toBe(200);
      const after = await fetch(served.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...auth, 'mcp-session-id': sa as string },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(after.status).toBe(404);
      expect(await after.text()).toMatch(/Unknown or expired session/);
      expect((await b.client.listTools()).tools.length).toBeGreaterThan(0);
      expect(
        structured<{ stdout: string }>(await call(b.client, 'remote-bash', { server: 'box', command: 'echo still-b' }))
          .stdout,
      ).toBe('still-b');
    } finally {
      await a.client.close().catch(() => undefined);
      await b.transport.terminateSession().catch(() => undefined);
      await b.client.close();
    }
  });

  it('closes a session left idle (no request, no open stream) after DECKHAND_HTTP_SESSION_IDLE_S', async () => {
    const home = tempHome();
    const idle = await serveHttp({
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
      DECKHAND_HTTP_SESSION_IDLE_S: '1',
      // At info, deckhand logs each session it closes: the test waits for that instead of the clock.
      DECKHAND_LOG_LEVEL: 'info',
    });
    const kept = await connect(idle.url);
    try {
      const init = await fetch(idle.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...auth },
        body: JSON.stringify(INITIALIZE),
      });
      const sid = init.headers.get('mcp-session-id') as string;
      expect(sid).toBeTruthy();
      await init.text();
      const closed = () =>
        idle
          .stderr()
          .split('\n')
          .some((l) => l.includes(sid) && l.includes('http session closed'));
      await waitFor(closed, 'the idle session to be closed', 10_000, 50);
      const after = await fetch(idle.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...auth, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(after.status).toBe(404);
      expect(idle.stderr()).not.toMatch(/uncaught|unhandled/i);
      // The SDK client keeps its notification stream open: a session in use is never idle.
      expect((await kept.client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await kept.client.close().catch(() => undefined);
      await idle.stop();
      home.cleanup();
    }
  });

  it('answers clear errors to requests that are not MCP', async () => {
    const noSession = await rawRequest(served.port, {
      headers: { ...MCP_HEADERS, ...auth, host: `127.0.0.1:${served.port}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noSession.status).toBe(400);
    expect(noSession.body).toMatch(/initialize/);
    const notJson = await rawRequest(served.port, {
      headers: { ...MCP_HEADERS, ...auth, host: `127.0.0.1:${served.port}` },
      body: '{"jsonrpc": "2.0",',
    });
    expect(notJson.status).toBe(400);
    const huge = await rawRequest(served.port, {
      headers: { ...MCP_HEADERS, ...auth, host: `127.0.0.1:${served.port}` },
      body: JSON.stringify({ ...INITIALIZE, pad: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    const elsewhere = await rawRequest(served.port, {
      method: 'GET',
      path: '/admin',
      headers: { ...auth, host: `127.0.0.1:${served.port}` },
    });
    expect(elsewhere.status).toBe(404);
    // The server is still there and still serving.
    const { client } = await connect(served.url);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});
