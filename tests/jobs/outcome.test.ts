import { describe, expect, it } from 'vitest';
import { applyOutcome, outcomeLine } from '../../src/jobs/outcome.js';
import * as T from '../../src/jobs/types.js';

const now = new Date('2025-03-01T00:00:10.000Z');
const running = () =>
  T.startJob(
    T.createJob({ type: 'remote-bash', server: 's', params: {}, timeout_s: 60 }, new Date('2025-03-01T00:00:00Z')),
    new Date('2025-03-01T00:00:01Z'),
  );

describe('job outcomes', () => {
  it('maps each handler outcome to the job record it makes', () => {
    expect(applyOutcome(running(), { kind: 'exit', exit_code: 0 }, now)).toMatchObject({
      status: 'completed',
      exit_code: 0,
    });
    expect(applyOutcome(running(), { kind: 'exit', exit_code: 3 }, now)).toMatchObject({
      status: 'failed',
      exit_code: 3,
    });
    expect(applyOutcome(running(), { kind: 'timeout', message: 'late' }, now)).toMatchObject({
      status: 'failed',
      error: { code: 'timeout' },
    });
    expect(applyOutcome(running(), { kind: 'lost', message: 'gone' }, now)).toMatchObject({ status: 'lost' });
    expect(applyOutcome(running(), { kind: 'requeue', message: 'again' }, now)).toMatchObject({ status: 'queued' });
    // A cancel asked for while the job was being put back ends it instead.
    const asked = T.requestCancel(running(), now);
    expect(applyOutcome(asked, { kind: 'requeue', message: 'again' }, now)).toMatchObject({ status: 'cancelled' });
  });

  it('leaves a job that already ended as it is', () => {
    const done = applyOutcome(running(), { kind: 'exit', exit_code: 0 }, now)!;
    expect(applyOutcome(done, { kind: 'lost', message: 'late news' }, now)).toBeUndefined();
  });

  it('says in the log how the job ended', () => {
    expect(outcomeLine({ kind: 'exit', exit_code: 2 })).toBe('exit status 2');
    expect(outcomeLine({ kind: 'timeout', message: 'Reached its time limit.' })).toBe(
      'job timed out: Reached its time limit.',
    );
    expect(outcomeLine({ kind: 'failed', error: { code: 'internal_error', message: 'boom' } })).toBe(
      'job failed: boom',
    );
  });
});
