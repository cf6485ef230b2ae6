import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deckhand, JobsFixture } from '../helpers/jobs.js';
import { waitFor } from '../helpers/wait.js';

// Issue 3: the remote job directory is removed when a job ends well, and kept a while after a failure.
describe("a job's directory on the server", () => {
  const fx = new JobsFixture();
  let d: Deckhand;

  beforeAll(async () => {
    d = await fx.setup();
  });
  afterAll(() => fx.teardown());

  it('is removed once a job completes, and kept (with its output and exit status) after a failure', async () => {
    const ok = await d.background('echo fine');
    const bad = await d.background('echo broken >&2; exit 3');
    expect((await d.waitTerminal(ok)).status).toBe('completed');
    expect(await d.waitTerminal(bad)).toMatchObject({ status: 'failed', exit_code: 3 });
    await waitFor(() => !fs.existsSync(fx.remoteJobDir(ok)), "the completed job's directory to go");
    // Kept for DECKHAND_REMOTE_KEEP_FAILED_H hours, for inspection on the server.
    const kept = fx.remoteJobDir(bad);
    expect(fs.readFileSync(path.join(kept, 'exit'), 'utf8').trim()).toBe('3');
    expect(fs.readFileSync(path.join(kept, 'err'), 'utf8')).toBe('broken\n');
    // Both were recorded locally as launched, so neither would ever be started again.
    for (const id of [ok, bad]) expect(fs.existsSync(path.join(fx.home.dir, 'jobs', id, 'launched'))).toBe(true);
  });
});
