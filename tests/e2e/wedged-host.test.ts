// Connecting to a host that accepts and never speaks: bounded by DECKHAND_CONNECT_TIMEOUT_S, and never in the way of
// calls to other servers.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startStdio, structured, type StdioSession } from '../helpers/mcp.js';
import { expectAlive, expectToolError } from '../helpers/mcp-expect.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

/** A TCP server that accepts connections and never says a word, like a wedged host. */
async function blackHole(port = 0): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const srv = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (srv.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

describe('a wedged host', () => {
  let healthy: SshdHandle;
  let doomed: SshdHandle | undefined;
  let hole: Awaited<ReturnType<typeof blackHole>> | undefined;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession | undefined;

  beforeAll(async () => {
    healthy = await startSshd();
  });
  beforeEach(() => {
    home = tempHome();
  });
  afterEach(async () => {
    await mcp?.close();
    mcp = undefined;
    await hole?.close();
    hole = undefined;
    await doomed?.stop();
    doomed = undefined;
    home?.cleanup();
  });
  afterAll(async () => {
    await healthy?.stop();
  });

  it('times out connecting to a host that accepts and never speaks, within a few seconds', async () => {
    mcp = await startStdio({ DECKHAND_HOME: home.dir, DECKHAND_CONNECT_TIMEOUT_S: '1' });
    hole = await blackHole();
    const started = Date.now();
    const r = await mcp.call('add-server', {
      name: 'silent',
      host: '127.0.0.1',
      port: hole.port,
      private_key_path: healthy.clientKey,
    });
    const elapsed = Date.now() - started;
    expectToolError(r, 'connect_timeout', [`127.0.0.1:${hole.port}`, 'DECKHAND_CONNECT_TIMEOUT_S']);
    expect(hole.accepted()).toBe(1);
    expect(elapsed).toBeLessThan(5000);
    await expectAlive(mcp);
  });

  it('never blocks calls to another server', async () => {
    // A connect bound of 5 s leaves a wide window in which the wedged calls are still hanging.
    const session = await startStdio({ DECKHAND_HOME: home.dir, DECKHAND_CONNECT_TIMEOUT_S: '5' });
    mcp = session;
    const key = { user: healthy.user, private_key_path: healthy.clientKey };
    structured(await session.call('add-server', { name: 'good', host: healthy.host, port: healthy.port, ...key }));
    // Register a second server while it is healthy, then make it wedge: same port, a listener that never speaks.
    doomed = await startSshd();
    fs.appendFileSync(path.join(doomed.dir, 'authorized_keys'), fs.readFileSync(`${healthy.clientKey}.pub`));
    structured(await session.call('add-server', { name: 'wedged', host: doomed.host, port: doomed.port, ...key }));
    const port = doomed.port;
    await doomed.stop();
    doomed = undefined;
    const wedge = await blackHole(port);
    hole = wedge;
    const bash = async (server: string, command: string) =>
      structured<{ stdout: string }>(await session.call('remote-bash', { server, command })).stdout;
    expect(await bash('good', 'echo warm')).toBe('warm');

    let settled = false;
    const startedWedged = Date.now();
    const stuck = Promise.all(
      [1, 2, 3].map((i) => session.call('remote-bash', { server: 'wedged', command: `echo ${i}` })),
    ).finally(() => {
      settled = true;
    });
    await waitFor(() => wedge.accepted() >= 1, 'a connection to the wedged host', 10_000, 20);
    for (let i = 0; i < 3; i++) expect(await bash('good', `echo fine-${i}`)).toBe(`fine-${i}`);
    // All three answered while the wedged calls were still hanging on their connect.
    expect(settled).toBe(false);
    expect(Date.now() - startedWedged).toBeLessThan(5000);

    for (const r of await stuck) expectToolError(r, 'connect_timeout', ['server "wedged"']);
    await expectAlive(session);
  });
});
