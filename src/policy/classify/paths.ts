import path from 'node:path';
import type { Verdict } from '../classes.js';
import type { ShellRedirect } from '../shell/types.js';
import { words } from './lists.js';

/** Directories whose contents belong to the system: writing there (or changing modes and owners) is privileged. */
const SYSTEM_DIRS = words('/etc /boot /usr /bin /sbin /lib /lib32 /lib64 /libx32 /sys /proc /dev /var/lib /root /opt');

/** Writing here changes nothing on disk. */
const HARMLESS_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty', '/dev/zero']);

/** Where a program usually lives: `/usr/bin/rm` is `rm`, `/home/x/rm` is not. */
const PROGRAM_DIRS = new Set(words('/bin /sbin /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin'));

/** The command name as policy sees it: a program in a standard directory by its base name, anything else as written. */
export function programName(value: string): string {
  if (!value.includes('/')) return value;
  const normal = path.posix.normalize(value);
  return PROGRAM_DIRS.has(path.posix.dirname(normal)) ? path.posix.basename(normal) : value;
}

/** The system directory an absolute path falls in (after resolving `..`), or null. `/` itself counts. */
export function systemDirOf(value: string): string | null {
  // `--file=/etc/x` and `of=/etc/x` name a path after the `=`.
  const candidate = value.startsWith('/') ? value : value.includes('=/') ? value.slice(value.indexOf('=') + 1) : null;
  if (candidate === null) return null;
  const normal = path.posix.normalize(candidate);
  if (normal === '/' || normal === '//') return '/';
  if (HARMLESS_TARGETS.has(normal) || /^\/dev\/fd\/\d+$/.test(normal)) return null;
  return SYSTEM_DIRS.find((d) => normal === d || normal.startsWith(`${d}/`)) ?? null;
}

export function isHarmlessTarget(value: string): boolean {
  const normal = path.posix.normalize(value);
  return HARMLESS_TARGETS.has(normal) || /^\/dev\/fd\/\d+$/.test(normal) || /^\/proc\/self\/fd\/\d+$/.test(normal);
}

const WRITING_OPS = new Set(words('> >> >| &> &>> <>'));

/** The verdict on one redirect, or null when it writes nothing (input, a descriptor copy, /dev/null). */
export function redirectVerdict(r: ShellRedirect): Verdict | null {
  const target = r.target;
  // `2>&1` and `>&-` copy or close a descriptor; `>& file` writes like `&> file`.
  const writes = WRITING_OPS.has(r.op) || (r.op === '>&' && !isDescriptor(target?.value));
  if (!writes) return null;
  if (!target || target.value === null) {
    return { class: 'destructive', why: `${r.raw} writes to a file named at run time` };
  }
  if (target.pattern) return { class: 'destructive', why: `${r.raw} writes to a file named by a pattern` };
  if (isHarmlessTarget(target.value)) return null;
  const dir = systemDirOf(target.value);
  if (dir) return { class: 'privileged', why: `${r.raw} writes to ${target.value}, under ${dir}` };
  return { class: 'destructive', why: `${r.raw} writes to the file ${target.value}` };
}

function isDescriptor(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && /^(?:\d+-?|-)$/.test(value);
}
