import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, releaseLock, type LockOptions } from '../../../src/apps/deploy/lock.js';
import {
  discardReleaseScript,
  promoteScript,
  readReleaseScript,
  uploadPayload,
  uploadScript,
} from '../../../src/apps/deploy/scripts.js';
import { readCurrent } from '../../../src/apps/deploy/stack-status.js';
import { LocalRunner } from './local-runner.js';

let dir: string;
let runner: LocalRunner;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-apps-'));
  runner = new LocalRunner(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);
const hashC = 'c'.repeat(64);

describe('upload and promotion scripts', () => {
  it('writes compose.yml and .env byte for byte from stdin, mode 0600, never on the command line', async () => {
    const env = '# header\nPASSWORD=it\'s $HOME `id` \\ "q"\nEMPTY=\n';
    const compose = 'services:\n  web:\n    image: x:1\n    command: ["sh", "-c", "echo $$X"]\n';
    await runner.must(uploadScript('web', hashA), 'upload', { stdin: uploadPayload(compose, env) });
    const rel = path.join(dir, 'web', 'releases', hashA.slice(0, 16));
    expect(fs.readFileSync(path.join(rel, '.env'), 'utf8')).toBe(env);
    expect(fs.readFileSync(path.join(rel, 'compose.yml'), 'utf8')).toBe(compose);
    expect(fs.statSync(path.join(rel, '.env')).mode & 0o777).toBe(0o600);
    expect(runner.scripts.join('\n')).not.toContain('PASSWORD');
  });

  it('promotes a release: previous keeps the one before, older ones are pruned, release.json is written', async () => {
    for (const h of [hashA, hashB, hashC]) {
      await runner.must(uploadScript('web', h), 'upload', { stdin: uploadPayload('c', 'e') });
      await runner.must(promoteScript('web', h), 'promote', { stdin: `{"hash":"${h}","stack":"web"}\n` });
    }
    const web = path.join(dir, 'web');
    expect(fs.readlinkSync(path.join(web, 'current'))).toBe(`releases/${hashC.slice(0, 16)}`);
    expect(fs.readlinkSync(path.join(web, 'previous'))).toBe(`releases/${hashB.slice(0, 16)}`);
    expect(fs.readdirSync(path.join(web, 'releases')).sort()).toEqual([hashB.slice(0, 16), hashC.slice(0, 16)]);
    const cur = await readCurrent(runner.asRemote(), 'web');
    expect(cur.record).toMatchObject({ hash: hashC });
    expect(cur.dir).toBe(`/opt/deckhand/apps/web/releases/${hashC.slice(0, 16)}`);
    // Promoting the current release again keeps previous as it was.
    await runner.must(promoteScript('web', hashC), 'promote', { stdin: `{"hash":"${hashC}"}\n` });
    expect(fs.readlinkSync(path.join(web, 'previous'))).toBe(`releases/${hashB.slice(0, 16)}`);
  });

  it('discards a failed release but never the current or previous one', async () => {
    for (const h of [hashA, hashB]) {
      await runner.must(uploadScript('web', h), 'upload', { stdin: uploadPayload('c', 'e') });
      await runner.must(promoteScript('web', h), 'promote', { stdin: '{}\n' });
    }
    await runner.must(uploadScript('web', hashC), 'upload', { stdin: uploadPayload('c', 'e') });
    for (const h of [hashA, hashB, hashC]) await runner.must(discardReleaseScript('web', h), 'discard');
    expect(fs.readdirSync(path.join(dir, 'web', 'releases')).sort()).toEqual([hashA, hashB].map((h) => h.slice(0, 16)));
  });

  it('reads no record for a stack never deployed', async () => {
    expect(await readCurrent(runner.asRemote(), 'nothing')).toEqual({ record: null, dir: null });
    expect((await runner.run(readReleaseScript('nothing'))).code).toBe(0);
  });
});

describe('the deploy lock', () => {
  const notes: string[] = [];
  const opts = (jobId: string, over: Partial<LockOptions> = {}): LockOptions => ({
    runner: runner.asRemote(),
    signal: new AbortController().signal,
    jobId,
    homeId: 'home-1',
    ttlS: 3600,
    maxWaitMs: 600,
    pollMs: 100,
    ownerGone: async () => false,
    note: (t) => notes.push(t),
    ...over,
  });

  it('lets one job in; another waits, then fails naming the holder', async () => {
    await acquireLock('web', opts('job_A'));
    await expect(acquireLock('web', opts('job_B'))).rejects.toMatchObject({
      code: 'deploy_locked',
      message: expect.stringMatching(/web is being deployed or removed by job job_A; waited/),
    });
    expect(notes).toContain('web: waiting for job job_A, which holds the deploy lock');
  });

  it('is adopted by the job that holds it (a re-run after a restart) and released only by it', async () => {
    await acquireLock('web', opts('job_A'));
    await acquireLock('web', opts('job_A'));
    await releaseLock(runner.asRemote(), 'web', 'job_B');
    expect(fs.existsSync(path.join(dir, 'web', '.lock'))).toBe(true);
    await releaseLock(runner.asRemote(), 'web', 'job_A');
    expect(fs.existsSync(path.join(dir, 'web', '.lock'))).toBe(false);
  });

  it('is waited for while held, and taken as soon as it is released', async () => {
    await acquireLock('web', opts('job_A'));
    setTimeout(() => void releaseLock(runner.asRemote(), 'web', 'job_A'), 250);
    await acquireLock('web', opts('job_B', { maxWaitMs: 5000 }));
    expect(fs.readFileSync(path.join(dir, 'web', '.lock', 'owner'), 'utf8')).toContain('"job":"job_B"');
  });

  it('breaks a lock whose owner is a finished job of this DECKHAND_HOME, or one that expired', async () => {
    await acquireLock('web', opts('job_A'));
    await acquireLock('web', opts('job_B', { ownerGone: async (id) => id === 'job_A' }));
    expect(notes.some((n) => /broke a stale deploy lock of job_A \(that job has ended\)/.test(n))).toBe(true);
    // Another home's job is not judged by our store, only by its expiry.
    await acquireLock('api', opts('job_C', { homeId: 'home-2', ttlS: -10 }));
    await acquireLock('api', opts('job_D', { ownerGone: async () => true }));
    expect(notes.some((n) => /broke a stale deploy lock of job_C \(it expired\)/.test(n))).toBe(true);
  });
});
