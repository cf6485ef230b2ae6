import { SETUP_RECORD_PATH, type SetupRecord, type SetupStep, type StepContext } from './types.js';

/** The record minus its timestamp: what decides whether the file on the server is current. */
function desired(c: StepContext): Omit<SetupRecord, 'updated_at'> {
  const components = [...new Set([...(c.previous?.components ?? []), ...c.components])].sort();
  const r = c.record;
  return {
    version: 1,
    components,
    ...((r.email ?? c.previous?.email) ? { email: r.email ?? c.previous?.email } : {}),
    ...((r.network ?? c.previous?.network) ? { network: r.network ?? c.previous?.network } : {}),
    ...((r.traefik ?? c.previous?.traefik) ? { traefik: r.traefik ?? c.previous?.traefik } : {}),
    ...((r.docker_version ?? c.previous?.docker_version)
      ? { docker_version: r.docker_version ?? c.previous?.docker_version }
      : {}),
  };
}

function same(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) =>
      x && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([p], [q]) => p.localeCompare(q)))
        : x,
    );
  return norm(a) === norm(b);
}

/** /etc/deckhand/setup.json: which components deckhand set up, for later runs and for deploy-app's preflight. */
export const recordStep: SetupStep = {
  name: 'record',
  async check(c) {
    const prev = c.previous ? (({ updated_at: _t, ...rest }) => rest)(c.previous) : undefined;
    const ok = prev !== undefined && same(prev, desired(c));
    return {
      ok,
      detail: ok ? `${SETUP_RECORD_PATH} is current` : `${SETUP_RECORD_PATH} ${prev ? 'is out of date' : 'is missing'}`,
    };
  },
  async apply(c) {
    const record: SetupRecord = { ...desired(c), updated_at: new Date().toISOString() };
    await c.shell.writeFile(SETUP_RECORD_PATH, `${JSON.stringify(record, null, 2)}\n`, '0644');
    c.previous = record;
    return { detail: `wrote ${SETUP_RECORD_PATH} (${record.components.join(', ')})` };
  },
};
