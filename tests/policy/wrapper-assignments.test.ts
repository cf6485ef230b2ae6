import { describe, expect, it } from 'vitest';
import { decideClassified, effectivePolicy } from '../../src/policy/index.js';
import { useRealEngine } from './engine.js';

const real = useRealEngine();

// Found by the property test (classify-property.test.ts): sudo and env take NAME=value words after `--` too, so
// the command after them must be what policy looks at, not the assignment.
describe('assignments after -- in sudo and env', () => {
  it.each([
    "sudo -E -- FOO=bar \\rm \\-rf $'\\x2f\\x74\\x6d\\x70\\x2f\\x78'",
    'sudo -- A=1 B=2 rm -rf /tmp/x',
    'env -- FOO=bar rm x',
    'sudo -- env -- X=1 rm x',
  ])('%s is denied by rm **', (command) => {
    const action = real.engine.classify({ kind: 'command', command }, {});
    expect(action.class).not.toBe('read-only');
    const d = decideClassified({
      action,
      server: 's',
      layers: [{ label: 'server s', policy: effectivePolicy({ mode: 'open', deny: ['rm **'] }, {}) }],
      grants: [],
      now: new Date(),
    });
    expect(d.decision).toBe('deny');
  });
});
