import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  makeGrant,
  serverPolicySchema,
  type DecideInput,
  type Grant,
  type PolicyAction,
  type ServerPolicy,
} from '../../src/policy/index.js';
import { useRealEngine } from './engine.js';

const real = useRealEngine();
const NOW = new Date('2026-03-01T12:00:00Z');
const cmd = (command: string): PolicyAction => ({ kind: 'command', command });

function decide(
  action: PolicyAction,
  opts: {
    policy?: ServerPolicy;
    labels?: Record<string, string>;
    grants?: Grant[];
    now?: Date;
    caller?: DecideInput['caller'];
  } = {},
) {
  return real.engine.decide({
    server: { name: 'web-1', labels: opts.labels ?? {}, policy: opts.policy },
    action,
    grants: opts.grants ?? [],
    now: opts.now ?? NOW,
    caller: opts.caller,
  });
}

const grant = (pattern: string, minutes = 30, server = 'web-1', id = 'g1') =>
  makeGrant({ id, server, pattern, grantedBy: 'alice (cli)', minutes, now: NOW });

describe('the default rule', () => {
  it('servers labelled env=prod ask, others are open', () => {
    expect(decide(cmd('rm -f x'), { labels: { env: 'prod' } })).toMatchObject({ decision: 'ask', mode: 'ask' });
    expect(decide(cmd('rm -f x'), { labels: { env: 'production' } }).decision).toBe('ask');
    expect(decide(cmd('rm -f x'), { labels: { env: 'staging' } })).toMatchObject({ decision: 'allow', mode: 'open' });
    expect(decide(cmd('rm -f x'))).toMatchObject({ decision: 'allow', mode: 'open' });
  });

  it('says where the mode came from', () => {
    expect(decide(cmd('rm -f x'), { labels: { env: 'prod' } }).reasons[0]).toBe(
      'server web-1: needs approval, server web-1 is ask (env=prod default)',
    );
    expect(decide(cmd('ls'), { policy: { mode: 'open' }, labels: { env: 'prod' } })).toMatchObject({
      decision: 'allow',
      mode: 'open',
    });
  });
});

describe('a read-only server', () => {
  const policy: ServerPolicy = { mode: 'read-only' };

  it.each(['rm -f x', 'echo x > f', "sh -c 'rm x'", 'find / -delete', '$(rm x)', 'sudo ls'])(
    'refuses %s',
    (command) => {
      const d = decide(cmd(command), { policy });
      expect(d.decision).toBe('deny');
      expect(d.reasons[0]).toBe('server web-1: refused, server web-1 is read-only');
      expect(d.reasons.length).toBeGreaterThan(1);
    },
  );

  it.each(['ls -la', 'cat /etc/os-release | grep ID'])('allows %s', (command) => {
    expect(decide(cmd(command), { policy })).toMatchObject({ decision: 'allow', class: 'read-only' });
  });

  it('refuses every tool that changes something, even a new file', () => {
    for (const action of [
      { kind: 'write-file', path: '/srv/app/new.txt', exists: false },
      { kind: 'deploy-app', app: 'blog' },
      { kind: 'delete-server' },
      { kind: 'undeploy-app', app: 'blog', removeData: false },
    ] as PolicyAction[]) {
      expect(decide(action, { policy }).decision, action.kind).toBe('deny');
    }
  });

  it('lets an allow pattern through, part by part', () => {
    const withAllow: ServerPolicy = { mode: 'read-only', allow: ['systemctl restart app'] };
    expect(decide(cmd('systemctl restart app'), { policy: withAllow }).decision).toBe('allow');
    expect(decide(cmd('systemctl status app && systemctl restart app'), { policy: withAllow }).decision).toBe('allow');
    const mixed = decide(cmd('systemctl restart app; rm -rf /srv/app'), { policy: withAllow });
    expect(mixed.decision).toBe('deny');
    expect(mixed.reasons.join('\n')).toContain('`rm -rf /srv/app`');
    // An allow pattern matches the words as written: sudo in front is another command.
    expect(decide(cmd('sudo systemctl restart app'), { policy: withAllow }).decision).toBe('deny');
  });

  it('ignores grants: a read-only server stays read-only', () => {
    expect(decide(cmd('rm -f x'), { policy, grants: [grant('rm -f x')] }).decision).toBe('deny');
  });
});

describe('an ask server', () => {
  const policy: ServerPolicy = { mode: 'ask' };

  it('asks for destructive and privileged commands and says what the person approves', () => {
    const d = decide(cmd('ls; rm -f x; sudo systemctl restart nginx'), { policy });
    expect(d.decision).toBe('ask');
    expect(d.class).toBe('privileged');
    expect(d.approval).toEqual([
      { text: 'rm -f x', class: 'destructive', why: 'rm deletes files', pattern: 'rm -f x' },
      {
        text: 'sudo systemctl restart nginx',
        class: 'privileged',
        why: 'sudo runs it as root; systemctl restart changes a system service or the system state',
        pattern: 'sudo systemctl restart nginx',
      },
    ]);
  });

  it('runs read-only commands and easy-to-undo tool actions without asking', () => {
    expect(decide(cmd('df -h'), { policy }).decision).toBe('allow');
    expect(decide({ kind: 'write-file', path: '/srv/app/new.txt', exists: false }, { policy }).decision).toBe('allow');
    expect(decide({ kind: 'undeploy-app', app: 'blog', removeData: false }, { policy }).decision).toBe('allow');
  });

  it('asks for the tool actions the issue names', () => {
    expect(decide({ kind: 'write-file', path: '/srv/app/app.env', exists: true }, { policy }).decision).toBe('ask');
    expect(decide({ kind: 'write-file', path: '/etc/nginx/nginx.conf', exists: false }, { policy })).toMatchObject({
      decision: 'ask',
      class: 'privileged',
    });
    expect(decide({ kind: 'delete-server' }, { policy }).decision).toBe('ask');
    expect(decide({ kind: 'undeploy-app', app: 'blog', removeData: true }, { policy }).decision).toBe('ask');
    expect(decide({ kind: 'deploy-app', app: 'blog' }, { labels: { env: 'prod' } }).decision).toBe('ask');
    expect(decide({ kind: 'deploy-app', app: 'blog' }, { policy, labels: { env: 'dev' } }).decision).toBe('allow');
  });

  it('asks for a command it cannot read, with no pattern to grant', () => {
    const d = decide(cmd('echo "unterminated'), { policy });
    expect(d.decision).toBe('ask');
    expect(d.approval[0]!.pattern).toBeNull();
  });
});

describe('grants', () => {
  const policy: ServerPolicy = { mode: 'ask' };

  it('a grant lets its pattern through on its server until it expires', () => {
    const g = grant('rm -rf /tmp/build-*', 30);
    const inside = decide(cmd('rm -rf /tmp/build-42'), {
      policy,
      grants: [g],
      now: new Date(NOW.getTime() + 29 * 60_000),
    });
    expect(inside).toMatchObject({ decision: 'allow', grantsUsed: ['g1'] });
    expect(inside.reasons.join('\n')).toContain('covered by grant g1 until 2026-03-01T12:30:00.000Z');
    expect(
      decide(cmd('rm -rf /tmp/build-42'), { policy, grants: [g], now: new Date(NOW.getTime() + 30 * 60_000) }).decision,
    ).toBe('ask');
    expect(
      decide(cmd('rm -rf /tmp/build-42'), { policy, grants: [grant('rm -rf /tmp/build-*', 30, 'db-1')] }).decision,
    ).toBe('ask');
    expect(decide(cmd('rm -rf /srv/data'), { policy, grants: [g] }).decision).toBe('ask');
  });

  it('the pattern an ask offers, once granted, lets the same command through next time', () => {
    const asked = decide(cmd("sh -c 'systemctl restart app && rm -f /tmp/app.lock'"), { policy });
    expect(asked.decision).toBe('ask');
    const grants = asked.approval.map((a, i) => grant(a.pattern!, 10, 'web-1', `g${i}`));
    expect(decide(cmd("sh -c 'systemctl restart app && rm -f /tmp/app.lock'"), { policy, grants }).decision).toBe(
      'allow',
    );
  });

  it('a grant on the command holding a script covers what runs inside it', () => {
    const grants = [grant("sh -c 'rm -f /tmp/a; rm -f /tmp/b'")];
    expect(decide(cmd("sh -c 'rm -f /tmp/a; rm -f /tmp/b'"), { policy, grants }).decision).toBe('allow');
    // …but a substitution is a command of its own, not covered by the command it sits in.
    expect(decide(cmd('echo $(rm -f /tmp/a)'), { policy, grants: [grant('echo **')] }).decision).toBe('ask');
  });

  it('makeGrant refuses durations outside 1 minute to 24 hours and bad patterns', () => {
    for (const minutes of [0, -5, 1.5, 24 * 60 + 1]) {
      expect(() => grant('ls', minutes)).toThrow(ValidationError);
    }
    expect(() => grant("rm 'open")).toThrow('unclosed');
    expect(grant('ls', 24 * 60).expires_at).toBe('2026-03-02T12:00:00.000Z');
  });
});

describe('deny wins over allow', () => {
  it('over allow patterns, grants and open mode', () => {
    const policy: ServerPolicy = { mode: 'open', allow: ['rm **'], deny: ['rm -rf **'] };
    expect(decide(cmd('rm x'), { policy }).decision).toBe('allow');
    const d = decide(cmd('rm -rf /tmp/x'), { policy });
    expect(d.decision).toBe('deny');
    expect(d.reasons).toEqual(['server web-1: `rm -rf /tmp/x` matches the deny pattern `rm -rf **`']);
    expect(
      decide(cmd('rm -rf /tmp/x'), { policy: { mode: 'ask', deny: ['rm -rf **'] }, grants: [grant('rm -rf /tmp/x')] })
        .decision,
    ).toBe('deny');
    expect(
      decide(cmd('rm -rf /tmp/x'), { policy: { mode: 'read-only', allow: ['rm -rf /tmp/x'], deny: ['rm **'] } })
        .decision,
    ).toBe('deny');
  });

  it('deny patterns see through wrappers, scripts and substitutions', () => {
    const policy: ServerPolicy = { mode: 'open', deny: ['systemctl stop *'] };
    for (const command of [
      'sudo systemctl stop nginx',
      'sudo -u root env A=1 nice systemctl stop nginx',
      "bash -c 'systemctl stop nginx'",
      'echo $(systemctl stop nginx)',
      '/usr/bin/systemctl stop nginx',
      '\\systemctl "stop" nginx',
    ]) {
      expect(decide(cmd(command), { policy }).decision, command).toBe('deny');
    }
    expect(decide(cmd('systemctl status nginx'), { policy }).decision).toBe('allow');
  });

  it('deny patterns cover tool actions too', () => {
    const policy: ServerPolicy = { mode: 'open', deny: ['write-file /etc/**', 'delete-server'] };
    expect(decide({ kind: 'write-file', path: '/etc/ssh/sshd_config', exists: true }, { policy }).decision).toBe(
      'deny',
    );
    expect(decide({ kind: 'write-file', path: '/srv/x', exists: true }, { policy }).decision).toBe('allow');
    expect(decide({ kind: 'delete-server' }, { policy }).decision).toBe('deny');
  });

  it('a command deckhand cannot read is refused wherever deny patterns exist', () => {
    const d = decide(cmd('echo "unterminated'), { policy: { mode: 'open', deny: ['rm **'] } });
    expect(d.decision).toBe('deny');
    expect(d.reasons[0]).toContain('cannot be checked against the deny patterns');
    expect(decide(cmd('echo "unterminated'), { policy: { mode: 'open' } }).decision).toBe('allow');
  });
});

describe("a caller's own policy (a named token)", () => {
  it('the stricter of server and caller wins, and both are named', () => {
    const caller = { label: 'token team-ro', policy: { mode: 'read-only' } as ServerPolicy };
    const d = decide(cmd('rm -f x'), { policy: { mode: 'open' }, caller });
    expect(d.decision).toBe('deny');
    expect(d.reasons[0]).toContain('server web-1');
    expect(d.reasons.join('\n')).toContain('token team-ro: refused, token team-ro is read-only');
    expect(
      decide(cmd('rm -f x'), { policy: { mode: 'ask' }, caller: { label: 'token ci', policy: {} } }).decision,
    ).toBe('ask');
    expect(decide(cmd('ls'), { policy: { mode: 'open' }, caller }).decision).toBe('allow');
  });
});

describe('decide is pure', () => {
  it('the same input gives the same answer', () => {
    const input = { policy: { mode: 'ask', allow: ['ls **'] } as ServerPolicy, grants: [grant('rm x')] };
    expect(decide(cmd('ls; rm x; rm y'), input)).toEqual(decide(cmd('ls; rm x; rm y'), input));
  });
});

describe('serverPolicySchema, as add-server takes it', () => {
  it('accepts a full policy and an empty one', () => {
    expect(serverPolicySchema.parse({ mode: 'ask', deny: ['rm -rf **'], allow: ['systemctl restart app'] })).toEqual({
      mode: 'ask',
      deny: ['rm -rf **'],
      allow: ['systemctl restart app'],
    });
    expect(serverPolicySchema.parse({})).toEqual({});
  });

  it('refuses what it cannot honour, saying which field and why', () => {
    const bad = serverPolicySchema.safeParse({ mode: 'closed', deny: ["rm 'x"], extra: 1 });
    expect(bad.success).toBe(false);
    const issues = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues.some((i) => i.startsWith('mode: '))).toBe(true);
    expect(issues.some((i) => i.startsWith('deny.0: ') && i.includes('unclosed'))).toBe(true);
    expect(issues.some((i) => i.includes('extra'))).toBe(true);
  });
});
