import { describe, expect, it } from 'vitest';
import { children } from '../../src/remote-bash/batch-view.js';
import { createJob, type Job, type JobStatus } from '../../src/jobs/types.js';

const child = (server: string, status: JobStatus): Job => ({
  ...createJob({ type: 'remote-bash', server, params: {}, timeout_s: 60 }, new Date()),
  status,
});

describe("a batch's children as its table lists them", () => {
  it('puts failures first, then orders servers by name with numbers counted as numbers', async () => {
    const jobs = [
      child('web-10', 'completed'),
      child('web-2', 'completed'),
      child('web-1', 'completed'),
      child('db-9', 'failed'),
      child('web-11', 'running'),
    ];
    const listed = await children({ children: async () => [...jobs] } as never, 'job_parent');
    expect(listed.map((j) => j.server)).toEqual(['db-9', 'web-11', 'web-1', 'web-2', 'web-10']);
  });
});
