import fs from 'node:fs';
import { Client } from 'ssh2';
import { expect } from 'vitest';
import { DeckhandError } from '../../src/errors.js';
import { exitStatusOf, openExec } from '../../src/ssh/exec.js';
import type { SshdHandle } from './sshd.js';

/** A plain ssh2 connection to a test sshd, for modules that take an open Client. */
export async function connect(sshd: SshdHandle, user = sshd.user): Promise<Client> {
  const c = new Client();
  await new Promise<void>((resolve, reject) => {
    c.once('ready', () => resolve());
    c.once('error', reject);
    c.connect({ host: sshd.host, port: sshd.port, username: user, privateKey: fs.readFileSync(sshd.clientKey) });
  });
  c.on('error', () => undefined);
  return c;
}

/** The DeckhandError a promise rejects with (failing the test when it resolves or throws something else). */
export async function errorOf(p: Promise<unknown>): Promise<DeckhandError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeckhandError);
  return err as DeckhandError;
}

/** One plain exec channel (sshd starts the login shell once), its output collected: a reference the tests compare with. */
export async function rawExec(client: Client, command: string): Promise<{ code: number | null; stdout: string }> {
  const ch = await openExec(client, command);
  const out: Buffer[] = [];
  ch.on('data', (d: Buffer) => out.push(d));
  ch.stderr.resume();
  await new Promise<void>((resolve) => ch.on('close', () => resolve()));
  ch.end();
  return { code: exitStatusOf(ch).code, stdout: Buffer.concat(out).toString('utf8') };
}
