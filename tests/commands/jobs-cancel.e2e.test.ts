import { describe, expect, it } from 'vitest';
import * as T from '../../src/jobs/types.js';
import { waitFor } from '../helpers/wait.js';
import { UNKNOWN, useJobsCli } from './jobs-cli-fixture.js';

const cli = useJobsCli();
const { jobs, start, store, newJob, running } = cli;

describe('deckhand jobs cancel', () => {
  it('cancels a queued job at once', async () => {
    const job = await newJob('web1', 'sleep 100', 1);
    const r = await jobs('cancel', job.id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Cancelled ${job.id} before it started.\n`);
    expect(await store().get(job.id)).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'Cancelled before it started.' },
    });
    const again = await jobs('cancel', job.id);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Nothing to cancel');
    expect(await cli.instances()).toEqual([]);
  });

  it('asks the executing process to stop a running job and reports what it did', async () => {
    const job = await running(await newJob('web1', 'sleep 100', 1));
    const cancel = start(['jobs', 'cancel', job.id]);
    // The test plays the executing deckhand: it sees the request and records the cancel.
    await waitFor(
      async () => (await store().get(job.id))?.cancel_requested_at != null,
      'the cancel request',
      15_000,
      25,
    );
    expect(cancel.child.exitCode).toBeNull();
    await store().update(job.id, (j) => T.cancelJob(j, new Date(), 'Cancelled by the user.', { exit_code: 143 }));
    const r = await cancel.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Cancelled ${job.id}.\n`);
  });

  it('leaves the request with the running deckhand when nothing stops the job in time', async () => {
    const job = await running(await newJob('web1', 'sleep 100', 1));
    const r = await jobs('cancel', job.id, '--wait', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Cancel of ${job.id} requested; the running deckhand will stop it.\n`);
    expect(r.stderr).toContain('no deckhand process seems to be running');
    const after = await store().get(job.id);
    expect(after).toMatchObject({ status: 'running' });
    expect(after!.cancel_requested_at).not.toBeNull();
    expect((await jobs('cancel', UNKNOWN)).code).toBe(1);
    expect((await jobs('cancel', job.id, '--wait', 'x')).code).toBe(2);
  });
});
