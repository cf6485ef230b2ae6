import { configDefaults, defineConfig } from 'vitest/config';

// Three projects by what a test really starts (README.md, Tests):
//   unit  no sshd, no deckhand binary, no root: seconds. Imports src/ through vitest; child processes run src/ compiled
//         on the spot (tests/helpers/child-module.ts), never a stale dist/.
//   e2e   a real OpenSSH sshd on loopback and/or the built binary (dist/cli.js, built once by tests/setup/e2e.ts).
//   host  root: network-namespace hosts with their own sshd, Docker engine and Swarm (tests/helpers/netns-host.ts).
// `npm test` runs the three; `npm run test:unit`, `test:e2e` and `test:host` each alone. A fourth, `live`, talks to
// the real Hetzner Cloud API and runs only when asked (`npm run test:live`, with HCLOUD_TOKEN).
// `npm run test:unit` adds --no-isolate: its files then share one module registry per worker instead of importing
// src/ again for each file (CPU 58 s → 32 s here), which is safe because src/ keeps no module-level mutable state and
// the tests that spy or fake timers restore them. Isolation is one setting for the whole run, and without it vitest
// runs the projects one after the other, so `npm test` keeps it.
const E2E = ['tests/e2e/**/*.test.ts', 'tests/**/*.e2e.test.ts'];
const HOST = ['tests/host/**/*.test.ts', 'tests/**/*.host.test.ts'];
const LIVE = ['tests/live/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The e2e and host files spend most of their time waiting on sshd, Docker, Swarm and timers, not on the CPU:
    // four at a time halves their wall time on a 2-core machine (see README.md, Tests). One queue for all
    // projects, longest files first (vitest keeps their durations), so the slowest host file starts at once.
    maxWorkers: 4,
    minWorkers: 1,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...E2E, ...HOST, ...LIVE],
          globalSetup: ['tests/setup/unit.ts'],
        },
      },
      { extends: true, test: { name: 'e2e', include: E2E, globalSetup: ['tests/setup/e2e.ts'] } },
      { extends: true, test: { name: 'host', include: HOST, globalSetup: ['tests/setup/host.ts'] } },
      { extends: true, test: { name: 'live', include: LIVE } },
    ],
  },
});
