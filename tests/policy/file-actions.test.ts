import { describe, expect, it } from 'vitest';
import {
  createPolicyEngine,
  type CommandClassifier,
  type PolicyAction,
  type ServerPolicy,
} from '../../src/policy/index.js';

// File actions never reach the command classifier: one that throws proves it.
const classifier: CommandClassifier = {
  classify: () => {
    throw new Error('a file action must not be classified as a command');
  },
};
const engine = createPolicyEngine({ classifier });
const NOW = new Date('2026-03-01T12:00:00Z');
const write = (path: string, more: Partial<Extract<PolicyAction, { kind: 'write-file' }>> = {}): PolicyAction => ({
  kind: 'write-file',
  path,
  exists: false,
  ...more,
});
const decide = (action: PolicyAction, policy?: ServerPolicy) =>
  engine.decide({ server: { name: 'web-1', labels: {}, policy }, action, grants: [], now: NOW });

describe('write-file and uploads as policy sees them', () => {
  it.each([
    ['/srv/app/new.txt', {}, 'change'],
    ['/srv/app/app.env', { exists: true }, 'destructive'],
    ['/srv/app/app.env', { exists: true, backup: false }, 'destructive'],
    ['/etc/sudoers.d/app', {}, 'privileged'],
    ['/boot/grub/grub.cfg', { exists: true }, 'privileged'],
    ['/usr/local/bin/tool', {}, 'privileged'],
    ['/home/deploy/.ssh/authorized_keys', { exists: true }, 'privileged'],
    ['/var/spool/cron/crontabs/deploy', {}, 'privileged'],
    ['/srv/app/bin/helper', { mode: 0o4755 }, 'privileged'],
    ['/srv/app/../../etc/passwd', {}, 'privileged'],
    ['/srv/app/link', { target: '/etc/shadow', exists: true }, 'privileged'],
  ] as const)('%s %o is %s', (path, more, cls) => {
    expect(decide(write(path, more)).class).toBe(cls);
  });

  it('says why, naming the backup and where a symlink leads', () => {
    expect(decide(write('/srv/a', { exists: true }), { mode: 'ask' }).reasons.join('\n')).toContain(
      'replaces the existing file /srv/a (a backup is kept) (destructive)',
    );
    expect(decide(write('/srv/a', { exists: true, backup: false }), { mode: 'ask' }).reasons.join('\n')).toContain(
      'without a backup',
    );
    expect(decide(write('/srv/l', { target: '/etc/x' }), { mode: 'ask' }).reasons.join('\n')).toContain(
      'writes /srv/l (→ /etc/x), under /etc (privileged)',
    );
    expect(decide(write('/srv/u', { by: 'upload' }), { mode: 'read-only' }).reasons.join('\n')).toContain(
      'creates the file /srv/u (change)',
    );
  });

  it('matches patterns as write-file <path>: allow by where it lands, deny by either path', () => {
    const viaLink = write('/srv/app/conf', { target: '/srv/shared/conf', exists: true });
    expect(decide(viaLink, { mode: 'ask', allow: ['write-file /srv/app/**'] }).decision).toBe('ask');
    expect(decide(viaLink, { mode: 'ask', allow: ['write-file /srv/shared/**'] }).decision).toBe('allow');
    expect(decide(viaLink, { mode: 'open', deny: ['write-file /srv/app/**'] }).decision).toBe('deny');
    expect(decide(viaLink, { mode: 'open', deny: ['write-file /srv/shared/*'] }).decision).toBe('deny');
    expect(decide(write('/srv/../etc/x'), { mode: 'open', deny: ['write-file /etc/**'] }).decision).toBe('deny');
    expect(decide(write('/srv/u', { by: 'upload' }), { mode: 'open', deny: ['write-file /srv/*'] }).decision).toBe(
      'deny',
    );
  });

  it('a download writes only on deckhand: change for a new local file, destructive for a replaced one', () => {
    const down = (exists: boolean): PolicyAction => ({
      kind: 'download',
      remote: '/var/log/x',
      local: '/files/x',
      exists,
    });
    expect(decide(down(false), { mode: 'read-only' })).toMatchObject({ decision: 'deny', class: 'change' });
    expect(decide(down(true), { mode: 'ask' })).toMatchObject({ decision: 'ask', class: 'destructive' });
    expect(decide(down(false), { mode: 'open', deny: ['transfer-file download /var/log/** **'] }).decision).toBe(
      'deny',
    );
  });
});
