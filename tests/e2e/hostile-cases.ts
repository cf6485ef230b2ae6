// The hostile calls of hostile-input.test.ts: a few hundred wrong types, injections, 1 MB strings and unknown tools.
import type { Case, Expect } from './hostile-answers.js';

export const MB = 'x'.repeat(1024 * 1024);
const WRONG_TYPES: [string, unknown][] = [
  ['null', null],
  ['number', 42],
  ['negative', -1],
  ['float', 1.5],
  ['huge number', 1e308],
  ['boolean', true],
  ['empty array', []],
  ['array', ['a', 'b']],
  ['object', { a: 1 }],
  ['empty object', {}],
];

export function hostileCases(t: { marker: string; closedPort: number; clientKey: string }): Case[] {
  const { marker, closedPort } = t;
  const injections = [
    '../../etc/passwd',
    '/etc/shadow',
    `a;touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `' ; touch ${marker}; '`,
    `-oProxyCommand=touch ${marker}`,
    'ünïcödé',
    '💥\u202e\u200b',
    ' ',
  ];
  const out: Case[] = [];

  // add-server: every field gets wrong types, hostile strings and 1 MB. The base points at a closed port,
  // so a variant that passes validation still cannot register anything.
  const addBase = {
    name: 'hostile',
    host: '127.0.0.1',
    port: closedPort,
    user: 'root',
    private_key_path: t.clientKey,
  };
  const addFields: Record<string, { strings: Expect; numbers?: boolean }> = {
    name: { strings: { kind: 'invalid', field: 'name' } },
    host: { strings: { kind: 'invalid', field: 'host' } },
    port: { strings: { kind: 'invalid', field: 'port' }, numbers: true },
    user: { strings: { kind: 'invalid', field: 'user' } },
    private_key_path: { strings: { kind: 'error' } },
    passphrase_env: { strings: { kind: 'invalid', field: 'passphrase_env' } },
    password_env: { strings: { kind: 'invalid', field: 'password_env' } },
    use_agent: { strings: { kind: 'invalid', field: 'use_agent' } },
    host_key_fingerprint: { strings: { kind: 'error' } },
    labels: { strings: { kind: 'invalid', field: 'labels' } },
  };
  for (const [field, spec] of Object.entries(addFields)) {
    for (const [label, value] of WRONG_TYPES) {
      if (field === 'use_agent' && typeof value === 'boolean') continue;
      if (field === 'port' && value === 42) continue; // a valid port number: covered by the closed-port base
      // No labels is fine, as an object or as the ["KEY=value"] list tools/list advertises.
      if (field === 'labels' && (label === 'empty object' || label === 'empty array')) continue;
      const expect: Expect =
        field === 'labels' && label === 'object' ? { kind: 'invalid', field: 'labels' } : { kind: 'invalid', field };
      out.push({
        label: `add-server ${field}=${label}`,
        tool: 'add-server',
        args: { ...addBase, [field]: value },
        expect,
      });
    }
    for (const s of [...injections, '', MB]) {
      const e: Expect =
        field === 'port' || field === 'use_agent' || field === 'labels' ? { kind: 'invalid', field } : spec.strings;
      out.push({
        label: `add-server ${field}=${JSON.stringify(s.slice(0, 30))}`,
        tool: 'add-server',
        args: { ...addBase, [field]: s },
        expect: e,
      });
    }
  }
  for (const port of [0, -22, 65536, 1e9, 22.5]) {
    out.push({
      label: `add-server port=${port}`,
      tool: 'add-server',
      args: { ...addBase, port },
      expect: { kind: 'invalid', field: 'port' },
    });
  }
  for (const labels of [
    { 'Bad Key': 'v' },
    { k: MB },
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])),
    { k: 1 },
  ]) {
    out.push({
      label: 'add-server labels',
      tool: 'add-server',
      args: { ...addBase, labels },
      expect: { kind: 'invalid', field: 'labels' },
    });
  }
  for (const missing of ['name', 'host']) {
    const { [missing]: _dropped, ...rest } = addBase as Record<string, unknown>;
    out.push({
      label: `add-server without ${missing}`,
      tool: 'add-server',
      args: rest,
      expect: { kind: 'invalid', field: missing },
    });
  }
  out.push({
    label: 'add-server extra field',
    tool: 'add-server',
    args: { ...addBase, password: 'hunter2' },
    expect: { kind: 'invalid', field: 'password' },
  });
  out.push({
    label: 'add-server __proto__',
    tool: 'add-server',
    args: JSON.parse(`{"name":"x","host":"h","__proto__":{"admin":true}}`),
    // zod drops a "__proto__" key rather than naming it; what matters is that nothing is polluted or accepted.
    expect: { kind: 'error' },
  });

  // remove-server and list-servers.
  for (const [label, value] of [
    ...WRONG_TYPES,
    ...injections.map((s) => [s, s] as [string, unknown]),
    ['1 MB', MB] as [string, unknown],
  ]) {
    out.push({
      label: `remove-server name=${String(label).slice(0, 30)}`,
      tool: 'remove-server',
      args: { name: value },
      expect: { kind: 'invalid', field: 'name' },
    });
  }
  out.push({
    label: 'remove-server unknown',
    tool: 'remove-server',
    args: { name: 'not-there' },
    expect: { kind: 'error' },
  });
  out.push({
    label: 'remove-server nothing',
    tool: 'remove-server',
    args: {},
    expect: { kind: 'invalid', field: 'name' },
  });
  out.push({
    label: 'list-servers extra',
    tool: 'list-servers',
    args: { filter: '*' },
    expect: { kind: 'invalid', field: 'filter' },
  });

  // remote-bash: never a hostile *command* that validates (it would run); hostile cwd and env values may run,
  // and must stay inert.
  const bashBase = { server: 'box', command: 'true' };
  for (const [label, value] of WRONG_TYPES) {
    out.push({
      label: `remote-bash server=${label}`,
      tool: 'remote-bash',
      args: { ...bashBase, server: value },
      expect: { kind: 'invalid', field: 'server' },
    });
    out.push({
      label: `remote-bash command=${label}`,
      tool: 'remote-bash',
      args: { ...bashBase, command: value },
      expect: { kind: 'invalid', field: 'command' },
    });
    if (
      label !== 'number' &&
      label !== 'huge number' &&
      label !== 'empty object' &&
      label !== 'empty array' &&
      label !== 'object'
    )
      out.push({
        label: `remote-bash env=${label}`,
        tool: 'remote-bash',
        args: { ...bashBase, env: value },
        expect: { kind: 'invalid', field: 'env' },
      });
    if (label !== 'number')
      out.push({
        label: `remote-bash timeout_s=${label}`,
        tool: 'remote-bash',
        args: { ...bashBase, timeout_s: value },
        expect: { kind: 'invalid', field: 'timeout_s' },
      });
    if (
      label !== 'object' &&
      label !== 'empty object' &&
      label !== 'array' &&
      label !== 'empty array' &&
      label !== 'null'
    )
      out.push({
        label: `remote-bash cwd=${label}`,
        tool: 'remote-bash',
        args: { ...bashBase, cwd: value },
        expect: { kind: 'invalid', field: 'cwd' },
      });
  }
  for (const s of injections) {
    out.push({
      label: `remote-bash server=${s.slice(0, 30)}`,
      tool: 'remote-bash',
      args: { ...bashBase, server: s },
      expect: { kind: 'invalid', field: 'server' },
    });
    out.push({
      label: `remote-bash cwd=${s.slice(0, 30)}`,
      tool: 'remote-bash',
      args: { ...bashBase, cwd: s },
      expect: { kind: 'any' },
    });
    out.push({
      label: `remote-bash env value=${s.slice(0, 30)}`,
      tool: 'remote-bash',
      args: { ...bashBase, command: 'printf %s "$X" >/dev/null', env: { X: s } },
      expect: { kind: 'any' },
    });
    out.push({
      label: `remote-bash env name=${s.slice(0, 30)}`,
      tool: 'remote-bash',
      args: { ...bashBase, env: { [s]: 'v' } },
      expect: { kind: 'invalid', field: 'env' },
    });
  }
  for (const timeout_s of [0, -5, 2.5, 1e12, -1e308]) {
    out.push({
      label: `remote-bash timeout_s=${timeout_s}`,
      tool: 'remote-bash',
      args: { ...bashBase, timeout_s },
      expect: { kind: 'invalid', field: 'timeout_s' },
    });
  }
  out.push({
    label: 'remote-bash command=""',
    tool: 'remote-bash',
    args: { ...bashBase, command: '' },
    expect: { kind: 'invalid', field: 'command' },
  });
  out.push({
    label: 'remote-bash command=1 MB',
    tool: 'remote-bash',
    args: { ...bashBase, command: MB },
    expect: { kind: 'invalid', field: 'command' },
  });
  out.push({
    label: 'remote-bash cwd=1 MB',
    tool: 'remote-bash',
    args: { ...bashBase, cwd: MB },
    expect: { kind: 'invalid', field: 'cwd' },
  });
  out.push({
    label: 'remote-bash env 1 MB value',
    tool: 'remote-bash',
    args: { ...bashBase, env: { X: MB } },
    expect: { kind: 'invalid', field: 'env' },
  });
  out.push({
    label: 'remote-bash many env',
    tool: 'remote-bash',
    args: { ...bashBase, env: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`V${i}`, 'v'])) },
    expect: { kind: 'invalid', field: 'env' },
  });
  out.push({
    label: 'remote-bash no command',
    tool: 'remote-bash',
    args: { server: 'box' },
    expect: { kind: 'invalid', field: 'command' },
  });
  out.push({
    label: 'remote-bash no server',
    tool: 'remote-bash',
    args: { command: 'true' },
    expect: { kind: 'invalid', field: 'server' },
  });
  out.push({
    label: 'remote-bash extra',
    tool: 'remote-bash',
    args: { ...bashBase, as_root: true },
    expect: { kind: 'invalid', field: 'as_root' },
  });
  out.push({
    label: 'remote-bash unknown server',
    tool: 'remote-bash',
    args: { server: 'ghost', command: 'true' },
    expect: { kind: 'error' },
  });

  // Unknown tools, and arguments of the wrong kind altogether.
  for (const tool of ['nope', 'remote_bash', 'REMOTE-BASH', '../../etc/passwd', 'a;rm -rf /', '', '💥', MB]) {
    out.push({ label: `unknown tool ${tool.slice(0, 30)}`, tool, args: {}, expect: { kind: 'error' } });
  }
  for (const tool of ['list-servers', 'add-server', 'remote-bash']) {
    for (const args of [null, [], ['box', 'true'], 'box', 42]) {
      out.push({
        label: `${tool} arguments=${JSON.stringify(args)}`,
        tool,
        args,
        expect: { kind: 'invalid', field: 'arguments' },
      });
    }
  }
  return out;
}
