import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameParser, type FrameEvent } from '../../src/remote-bash/frames.js';
import { startCommand, startPayload } from '../../src/remote-bash/protocol.js';
import { remoteJobDir, removeRemoteJobs } from '../helpers/jobs.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

// The start script against a real sshd and the server's own /bin/sh: launch once, follow, and never launch twice.
let sshd: SshdHandle;
let client: Client;
let targetHome: string;
const ids: string[] = [];

beforeAll(async () => {
  targetHome = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-target-'));
  sshd = await startSshd({ extraConfig: `SetEnv HOME=${targetHome}` });
  client = new Client();
  await new Promise<void>((resolve, reject) => {
    client
      .once('ready', () => resolve())
      .once('error', reject)
      .connect({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey: fs.readFileSync(sshd.clientKey) });
  });
});

afterAll(async () => {
  client?.end();
  await sshd?.stop();
  removeRemoteJobs(targetHome, ids);
  fs.rmSync(targetHome, { recursive: true, force: true });
});

let counter = 0;
function newId(): string {
  const id = `job_01JD3Q8X5K2M7N4P6R8S0T${String(counter++).padStart(4, '0')}`;
  ids.push(id);
  return id;
}

interface Run {
  events: FrameEvent[];
  stdout: string;
  stderr: string;
}

/** Sends a start (the whole payload, or only its first `cut` bytes) and collects the follower's frames. */
function start(id: string, command: string, cut?: number): Promise<Run> {
  const payload = startPayload({ jobId: id, command });
  return new Promise((resolve, reject) => {
    client.exec(startCommand(id), (err, ch) => {
      if (err) return reject(err);
      const events: FrameEvent[] = [];
      const out = { stdout: '', stderr: '' };
      const parser = new FrameParser((e) => {
        if (e.type === 'data') out[e.stream] += e.chunk.toString('utf8');
        else events.push(e);
      });
      ch.on('data', (d: Buffer) => parser.push(d));
      ch.stderr.on('data', () => undefined);
      ch.on('close', () => resolve({ events, ...out }));
      ch.end(cut === undefined ? payload : payload.slice(0, cut));
    });
  });
}

const kinds = (r: Run) => r.events.map((e) => e.type);

describe('the detached start script', () => {
  it('launches the command, reports its runner, streams its output and its exit status', async () => {
    const id = newId();
    const r = await start(id, 'echo one; echo two >&2; echo three; exit 3');
    expect(kinds(r)).toEqual(['pid', 'exit']);
    expect(r.events[1]).toEqual({ type: 'exit', status: 3 });
    expect(r.stdout).toBe('one\nthree\n');
    expect(r.stderr).toBe('two\n');
    const dir = remoteJobDir(targetHome, id);
    expect(fs.readFileSync(path.join(dir, 'exit'), 'utf8').trim()).toBe('3');
    expect(Number(fs.readFileSync(path.join(dir, 'runner.pid'), 'utf8'))).toBe((r.events[0] as { pid: number }).pid);
  });

  it('two starts of one job, sent together, run the command once and both follow it to the end', async () => {
    const id = newId();
    const count = path.join(targetHome, `${id}.runs`);
    const cmd = `echo run >> ${count}; sleep 1; echo done`;
    const [a, b] = await Promise.all([start(id, cmd), start(id, cmd)]);
    expect(fs.readFileSync(count, 'utf8')).toBe('run\n');
    for (const r of [a, b]) {
      expect(r.events.at(-1)).toEqual({ type: 'exit', status: 0 });
      expect(r.stdout).toBe('done\n');
      // Each learns the runner's pid: the one that launched it, and the one that found it launched.
      expect(r.events.filter((e) => e.type === 'pid')).toHaveLength(1);
    }
  });

  it('a start cut short by a dropped connection runs nothing; the next start runs the command once', async () => {
    const id = newId();
    const count = path.join(targetHome, `${id}.runs`);
    const cmd = `echo run >> ${count}`;
    const full = startPayload({ jobId: id, command: cmd });
    for (const cut of [10, Math.floor(full.length / 2), full.length - 6]) {
      const r = await start(id, cmd, cut);
      expect(kinds(r)).toEqual([]);
      expect(fs.existsSync(count)).toBe(false);
      expect(fs.existsSync(remoteJobDir(targetHome, id))).toBe(false);
    }
    const r = await start(id, cmd);
    expect(r.events.at(-1)).toEqual({ type: 'exit', status: 0 });
    expect(fs.readFileSync(count, 'utf8')).toBe('run\n');
  });

  it('a directory left without a runner (a start that died half-way) is reported not-started and given back', async () => {
    const id = newId();
    const dir = remoteJobDir(targetHome, id);
    fs.mkdirSync(dir, { recursive: true });
    const r = await start(id, 'echo never');
    expect(r.events).toEqual([{ type: 'lost', reason: 'not-started' }]);
    expect(fs.existsSync(dir)).toBe(false);
    const again = await start(id, 'echo now');
    expect(again.stdout).toBe('now\n');
    expect(again.events.at(-1)).toEqual({ type: 'exit', status: 0 });
  });
});
