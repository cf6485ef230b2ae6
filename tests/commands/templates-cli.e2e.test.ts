// `deckhand templates …` and `deckhand schedules …` as people run them: the built binary on a real DECKHAND_HOME
// served by `deckhand serve --http` (which executes the runs) with a real sshd; templates saved into the home's store.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { connectHttp, startServed, type Served } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';
import { textOf } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { saveTemplates } from '../helpers/templates.js';

const TOKEN = 'templates-cli-token-0123456789abcdef';

describe('deckhand templates and schedules', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let served: Served;
  let mcp: Client;
  const cli = (...args: string[]) => runCli({ DECKHAND_HOME: home.dir, DECKHAND_LOG_LEVEL: 'warn' }, args);

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    served = await startServed(['serve', '--http', '--host', '127.0.0.1', '--port', '0'], {
      DECKHAND_HOME: home.dir,
      DECKHAND_HTTP_TOKEN: TOKEN,
    });
    mcp = await connectHttp(served.origin, TOKEN);
    const r = (await mcp.callTool({
      name: 'add-server',
      arguments: { name: 'web', host: sshd.host, port: sshd.port, user: sshd.user, private_key_path: sshd.clientKey },
    })) as CallToolResult;
    expect(r.isError, textOf(r)).toBeFalsy();
    await saveTemplates(home.dir, [
      {
        name: 'greet',
        description: 'says hello',
        command: 'echo "hello $WHO from $HOSTNAME_TAG"',
        target: { server: 'web' },
        env: { HOSTNAME_TAG: 'secret-tag-value' },
        params: [{ name: 'WHO', default: 'world' }],
      },
      {
        name: 'nightly',
        command: 'echo nightly',
        target: { server: 'web' },
        schedule: { cron: '30 2 * * *', tz: 'Europe/Berlin' },
      },
    ]);
  }, 120_000);

  afterAll(async () => {
    await mcp?.close().catch(() => undefined);
    await served?.stop();
    await sshd?.stop();
    home?.cleanup();
  });

  it('lists templates with their schedule in words and next run', () => {
    const r = cli('templates', 'list');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+STATUS\s+VERSION\s+SCHEDULE\s+RUNS\s+SUCCESS\s+P50\/P95\s+LAST RUN/);
    expect(r.stdout).toMatch(/greet\s+enabled\s+v1\s+-\s+0/);
    expect(r.stdout).toMatch(
      /nightly\s+enabled\s+v1\s+At 02:30 \(Europe\/Berlin\); next \d{4}-\d\d-\d\dT02:30:00\+0[12]:00/,
    );
  });

  it('runs a template with a parameter, waits for it, and shows it in history and show', () => {
    const r = cli('templates', 'run', 'greet', '--param', 'WHO=carol', '--wait');
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^job_[0-9A-Z]{26}$/);
    expect(r.stderr).toContain(`job ${id} completed`);
    const logs = cli('jobs', 'logs', id);
    expect(logs.stdout).toContain('hello carol from secret-tag-value');

    const h = cli('templates', 'history', 'greet');
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(new RegExp(`${id}\\s+completed\\s+v1\\s+manual`));

    const s = cli('templates', 'show', 'greet');
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('Template greet');
    expect(s.stdout).toContain('env:      HOSTNAME_TAG (values kept secret)');
    expect(s.stdout).not.toContain('secret-tag-value');
    expect(s.stdout).toMatch(/Runs: 1 \(1 completed, 0 failed.*success 100%/);
    expect(s.stdout).toContain(id);
    expect(cli('templates', 'show', 'greet', '--json').stdout).not.toContain('secret-tag-value');

    const l = cli('templates', 'list');
    expect(l.stdout).toMatch(new RegExp(`greet\\s+enabled\\s+v1\\s+-\\s+1\\s+100%\\s+\\S+\\s+${id} completed`));

    const audit = cli('audit', 'export');
    expect(audit.stdout).toContain('run-template');
  });

  it('refuses a bad parameter and an unknown template with actionable errors', () => {
    const bad = cli('templates', 'run', 'greet', '--param', 'nonsense');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--param takes NAME=VALUE');
    const unknown = cli('templates', 'show', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('There is no template named "nope"');
    const missing = cli('templates', 'show');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing the template name');
    const noSchedule = cli('schedules', 'pause', 'greet');
    expect(noSchedule.code).toBe(1);
    expect(noSchedule.stderr).toContain('has no schedule to pause');
  });

  it('lists, pauses, resumes schedules and shows their next slots in their zone', () => {
    const l = cli('schedules', 'list');
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toMatch(
      /nightly\s+At 02:30 \(Europe\/Berlin\)\s+Europe\/Berlin\s+\S+T02:30:00\+0[12]:00\s+active\s+-/,
    );
    expect(l.stdout).not.toContain('greet');

    const n = cli('schedules', 'next', 'nightly', '--count', '3');
    expect(n.code, n.stderr).toBe(0);
    expect(n.stdout.trim().split('\n')).toHaveLength(3);
    for (const line of n.stdout.trim().split('\n')) expect(line).toMatch(/T02:30:00\+0[12]:00$/);

    const p = cli('schedules', 'pause', 'nightly');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('Paused the schedule of nightly');
    expect(cli('schedules', 'list').stdout).toMatch(/nightly.*\s-\s+paused/);
    expect(cli('schedules', 'next', 'nightly').stderr).toContain('paused');

    const r = cli('schedules', 'resume', 'nightly');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Resumed the schedule of nightly; next run \S+T02:30:00/);
    expect(cli('schedules', 'list').stdout).toMatch(/nightly.*active/);
    expect(cli('audit', 'export').stdout).toMatch(/pause-schedule[\s\S]*resume-schedule/);
  });

  it('runs a scheduled template now', () => {
    const r = cli('schedules', 'run', 'nightly', '--wait');
    expect(r.code, r.stderr).toBe(0);
    expect(cli('jobs', 'logs', r.stdout.trim()).stdout).toContain('nightly');
  });

  it('says so when no deckhand executes the run', async () => {
    await served.stop();
    const r = cli('templates', 'run', 'greet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^job_/);
    expect(r.stderr).toContain('no deckhand executes jobs on this home right now');
  });

  it('has help texts', () => {
    const r = runCli({ DECKHAND_HOME: home.dir }, ['--help']);
    expect(r.stdout).toContain('deckhand templates run NAME');
    expect(r.stdout).toContain('deckhand schedules next NAME');
    const g = runCli({ DECKHAND_HOME: home.dir }, ['schedules']);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('deckhand schedules pause NAME');
  });
});
