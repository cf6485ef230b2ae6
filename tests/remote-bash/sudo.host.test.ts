import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startInProcess, type InProcess } from '../helpers/in-process.js';
import { waitFor } from '../helpers/wait.js';
import { structured, textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

interface Result {
  status: string;
  job_id: string;
  exit_code: number | null;
  error?: { code: string; message: string };
  stdout: string;
  stderr: string;
}

const SUFFIX = randomBytes(3).toString('hex');
/** Throwaway logins, made here as root and removed after: passwordless sudo, sudo with a password, no sudo rule. */
const USERS = { nopw: `dkhnp${SUFFIX}`, pw: `dkhpw${SUFFIX}`, none: `dkhno${SUFFIX}` };
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const SUDOERS = `/etc/sudoers.d/deckhand-test-${SUFFIX}`;

function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
}

function countRoot(marker: string): number {
  return Number(sh(`pgrep -u root -fc '^${marker}$' || true`).trim() || '0');
}

describe('remote-bash {sudo: true} for logins that are not root', () => {
  let sshd: SshdHandle;
  let home: ReturnType<typeof tempHome>;
  let d: InProcess;

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test creates users and sudo rules: run it as root');
    if (!fs.existsSync('/usr/bin/sudo')) throw new Error('sudo is missing: apt-get install -y sudo');
    for (const u of Object.values(USERS)) sh(`useradd -m -s /bin/sh ${u}`);
    // A locked account ("!" in shadow) cannot log in over SSH; the password is what sudo -S checks.
    sh(`printf '%s\\n' '${USERS.pw}:${PASSWORD}' '${USERS.none}:${PASSWORD}' | chpasswd`);
    sh(`usermod -p '*' ${USERS.nopw}`);
    fs.writeFileSync(SUDOERS, `${USERS.nopw} ALL=(ALL) NOPASSWD: ALL\n${USERS.pw} ALL=(ALL) ALL\n`, { mode: 0o440 });
    sh(`visudo -cf ${SUDOERS}`);
    // One authorized_keys for every login (the helper's sshd reads the same file whoever logs in); sshd reads it as
    // the user logging in, so the users must be able to.
    sshd = await startSshd();
    fs.chmodSync(sshd.dir, 0o755);
    fs.chmodSync(path.join(sshd.dir, 'authorized_keys'), 0o644);
    home = tempHome();
    d = await startInProcess({ DECKHAND_HOME: home.dir, DKH_SUDO_PW: PASSWORD, DKH_WRONG_PW: 'not-it' });
    const add = async (name: string, user: string, extra: Record<string, unknown> = {}) => {
      const r = await d.call('add-server', {
        name,
        host: sshd.host,
        port: sshd.port,
        user,
        private_key_path: sshd.clientKey,
        host_key_fingerprint: sshd.hostKeyFingerprint,
        ...extra,
      });
      expect(r.isError, textOf(r)).toBeFalsy();
    };
    await add('nopw', USERS.nopw);
    await add('pw', USERS.pw, { sudo_password_env: 'DKH_SUDO_PW' });
    await add('pw-unset', USERS.pw);
    await add('pw-wrong', USERS.pw, { sudo_password_env: 'DKH_WRONG_PW' });
    await add('none', USERS.none, { sudo_password_env: 'DKH_SUDO_PW' });
  }, 60_000);

  afterAll(async () => {
    await d?.close();
    await sshd?.stop();
    home?.cleanup();
    fs.rmSync(SUDOERS, { force: true });
    for (const u of Object.values(USERS)) {
      // What a failed run may have left: the process groups its jobs recorded (root's, under sudo), then the
      // throwaway users' own processes by uid, then the users and their homes.
      sh(
        `for f in /home/${u}/.deckhand/jobs/*/pgid /home/${u}/.deckhand/jobs/*/rpgid; do [ -s "$f" ] && kill -KILL -"$(cat "$f")" 2>/dev/null; done; ` +
          `pkill -KILL -u ${u}; userdel -r ${u} 2>/dev/null; true`,
      );
    }
  });

  const run = async (server: string, args: Record<string, unknown>) =>
    structured<Result>(await d.call('remote-bash', { server, mode: 'sync', ...args }));

  it('runs as root with passwordless sudo, and as the login without it', async () => {
    expect((await run('nopw', { command: 'id -un' })).stdout).toBe(USERS.nopw);
    const r = await run('nopw', {
      command: 'id -un; echo "$GREETING"; pwd',
      sudo: true,
      env: { GREETING: 'hi' },
      cwd: '/tmp',
    });
    expect([r.status, r.stdout]).toEqual(['completed', 'root\nhi\n/tmp']);
  });

  it('feeds the sudo password on stdin: never in argv, files, the job record, the log or the command’s input', async () => {
    const marker = `sleep 2.${100 + Math.floor(Math.random() * 900)}`;
    const pending = run('pw', { command: `cat; id -un; ${marker}; echo done`, sudo: true, timeout_s: 60 });
    await waitFor(() => countRoot(marker) > 0, 'the sudo’d command to run as root');
    const ps = sh('ps -eo args');
    const files = sh(`grep -rl -- '${PASSWORD}' /home/${USERS.pw} /tmp 2>/dev/null || true`);
    const r = await pending;
    // cat read nothing: the command's stdin is /dev/null, not the pipe that carried the password.
    expect([r.status, r.stdout]).toEqual(['completed', 'root\ndone']);
    expect(ps).toContain(marker);
    expect(ps).not.toContain(PASSWORD);
    expect(files).toBe('');
    const status = await d.call('get-job-status', { job_id: r.job_id, tail_logs: 100 });
    expect(JSON.stringify(structured(status))).not.toContain(PASSWORD);
    expect((structured(status) as { job: { params: Record<string, unknown> } }).job.params).toMatchObject({
      sudo: true,
    });
    expect(fs.readdirSync(home.dir, { recursive: true }).length).toBeGreaterThan(0);
    expect(sh(`grep -rl -- '${PASSWORD}' ${home.dir} || true`)).toBe('');
  });

  it('fails at once, with what to do, when sudo would ask for a password none is configured for', async () => {
    const t = Date.now();
    const unset = await d.call('remote-bash', { server: 'pw-unset', command: 'id -u', sudo: true });
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(textOf(unset)).toMatch(
      new RegExp(
        `^Error \\(sudo_password_required\\): sudo asks user "${USERS.pw}" on "pw-unset" for a password, and none is configured\\. .*NOPASSWD.*sudo_password_env`,
      ),
    );
    const wrong = await d.call('remote-bash', { server: 'pw-wrong', command: 'id -u', sudo: true });
    expect(textOf(wrong)).toMatch(/^Error \(sudo_auth_failed\): sudo rejected the password in DKH_WRONG_PW/);
    expect(textOf(wrong)).not.toContain('not-it');
    const none = await d.call('remote-bash', { server: 'none', command: 'id -u', sudo: true });
    expect(textOf(none)).toMatch(
      new RegExp(`^Error \\(sudo_not_allowed\\): sudo refused user "${USERS.none}".*not in the sudoers file`),
    );
    // Nothing was queued for any of them.
    const jobs = structured<{ jobs: { server: string }[] }>(await d.call('list-jobs', {})).jobs;
    expect(jobs.filter((j) => ['pw-unset', 'pw-wrong', 'none'].includes(j.server))).toEqual([]);
  });

  it('kills a sudo’d command and everything it started on cancel and on timeout, through sudo', async () => {
    for (const server of ['pw', 'nopw']) {
      const n = 50_000 + Math.floor(Math.random() * 9_000);
      const marker = `sleep ${n}`;
      const started = await run(server, {
        command: `sh -c 'sleep ${n}' & sleep ${n}; wait`,
        sudo: true,
        mode: 'background',
      });
      await waitFor(() => countRoot(marker) === 2, `two root sleeps on ${server}`);
      const cancelled = await d.call('cancel-job', { job_id: started.job_id });
      expect(cancelled.isError, textOf(cancelled)).toBeFalsy();
      await waitFor(() => countRoot(marker) === 0, `the root sleeps on ${server} gone after cancel`);
    }
    const n = 60_000 + Math.floor(Math.random() * 9_000);
    const r = await run('pw', { command: `sleep ${n}`, sudo: true, timeout_s: 3 });
    expect([r.status, r.error?.code]).toEqual(['failed', 'timeout']);
    expect(r.error?.message).toMatch(/killed/);
    await waitFor(() => countRoot(`sleep ${n}`) === 0, 'the root sleep gone after the timeout');
  });
});
