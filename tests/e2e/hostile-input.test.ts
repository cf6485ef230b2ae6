import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startRawStdio, type JsonRpcResponse, type RawStdio } from '../helpers/raw-stdio.js';
import { freePort, startSshd, type SshdHandle } from '../helpers/sshd.js';
import { invalidAnswerProblems, isErrorResponse, KNOWN_TOOLS, textOfResponse } from './hostile-answers.js';
import { hostileCases } from './hostile-cases.js';

describe('hostile input over one stdio session', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let raw: RawStdio;
  let marker: string;
  let closedPort: number;

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    marker = path.join(home.dir, 'pwned');
    closedPort = await freePort();
    raw = await startRawStdio({ DECKHAND_HOME: home.dir });
    const added = await raw.request('tools/call', {
      name: 'add-server',
      arguments: { name: 'box', host: sshd.host, port: sshd.port, user: sshd.user, private_key_path: sshd.clientKey },
    });
    expect(isErrorResponse(added), textOfResponse(added)).toBe(false);
  });
  afterAll(async () => {
    if (raw && raw.proc.exitCode === null) await raw.close();
    await sshd?.stop();
    home?.cleanup();
  });
  it('answers every one of a few hundred hostile calls with an error, then still works', async () => {
    const all = hostileCases({ marker, closedPort, clientKey: sshd.clientKey });
    expect(all.length).toBeGreaterThanOrEqual(300);
    const failures: string[] = [];
    const batch = 25;
    for (let i = 0; i < all.length; i += batch) {
      const slice = all.slice(i, i + batch);
      const answers = await Promise.all(
        slice.map((c) => raw.request('tools/call', { name: c.tool, arguments: c.args }, 30_000)),
      );
      slice.forEach((c, j) => {
        const r = answers[j] as JsonRpcResponse;
        const text = textOfResponse(r);
        if (c.expect.kind === 'any') return;
        if (!isErrorResponse(r)) failures.push(`${c.label}: expected an error, got ${text.slice(0, 200)}`);
        else if (c.expect.kind === 'invalid') failures.push(...invalidAnswerProblems(c, c.expect.field, r));
        else if (!KNOWN_TOOLS.has(c.tool) && r.error?.code !== -32602)
          failures.push(`${c.label}: an unknown tool must be a -32602 protocol error, got ${text.slice(0, 200)}`);
      });
    }
    expect(failures).toEqual([]);

    // Nothing smuggled into a name, a path, a cwd or an env value ran anywhere.
    expect(fs.existsSync(marker)).toBe(false);
    // The process is alive and a valid call works.
    expect(raw.proc.exitCode).toBeNull();
    const ok = await raw.request('tools/call', {
      name: 'remote-bash',
      arguments: { server: 'box', command: 'echo still here' },
    });
    expect(isErrorResponse(ok), textOfResponse(ok)).toBe(false);
    expect((ok.result?.structuredContent as { stdout: string }).stdout).toBe('still here');
    // The inventory still parses and holds exactly what was validly added.
    const inventory = JSON.parse(fs.readFileSync(path.join(home.dir, 'inventory.json'), 'utf8'));
    expect(inventory.servers.map((s: { name: string }) => s.name)).toEqual(['box']);
  });

  it('answers a NUL in a command, cwd or env (refused, or run as the engine passes it) without disturbing a command beside it', async () => {
    const beside = raw.request('tools/call', {
      name: 'remote-bash',
      arguments: { server: 'box', command: 'sleep 2; echo survived' },
    });
    for (const args of [
      { server: 'box', command: 'echo a\u0000b' },
      { server: 'box', command: 'true', cwd: '/tmp\u0000/etc' },
      { server: 'box', command: 'echo "$X"', env: { X: 'a\u0000b' } },
    ]) {
      const r = await raw.request('tools/call', { name: 'remote-bash', arguments: args });
      // sshd itself refuses a NUL in an exec request; whoever refuses it must say why.
      if (isErrorResponse(r)) expect(textOfResponse(r)).toMatch(/NUL/);
    }
    const survived = await beside;
    expect(isErrorResponse(survived), textOfResponse(survived)).toBe(false);
    expect(survived.result?.structuredContent).toMatchObject({ status: 'completed', stdout: 'survived' });
  });
});
