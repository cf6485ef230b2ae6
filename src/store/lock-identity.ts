import type { Stats } from 'node:fs';

/**
 * Which lock a holder's record belongs to. The inode alone does not say it: a lock directory removed and made
 * again usually gets the same inode number at once (ext4 reuses it), so a dead holder's record would pass for the
 * next holder's and get a live lock broken. The birth time tells the two apart.
 */
export interface LockIdentity {
  readonly ino: number;
  readonly birth: number;
}

export function lockIdentity(st: Stats): LockIdentity {
  return { ino: st.ino, birth: st.birthtimeMs };
}

/** True when a holder's record was written for exactly this lock directory. */
export function isSameLock(record: Partial<LockIdentity> | undefined, st: Stats): boolean {
  return record?.ino === st.ino && record.birth === st.birthtimeMs;
}

/** True unless the pid is gone from this host (EPERM means it exists under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
