// Low-level helpers for the network-namespace test host (netns-host.ts): running commands, cgroups, subnets, teardown.
// Everything the harness creates is named with PREFIX so tests/helpers/ci-teardown.sh can find leftovers.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PREFIX = 'dkhns';
/** Base for the harness temp dirs; short on purpose (unix socket paths are limited to 108 bytes). */
export const TMP_BASE = '/tmp';
export const SYS_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Test subnets are /30s carved out of this /16 (10.213.0.0/16): index i gives 10.213.(4i>>8).(4i&255)/30. */
const SUBNET_BASE = (10 << 24) | (213 << 16);
const SUBNET_COUNT = 16384;

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function sysEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${SYS_PATH}:${process.env.PATH ?? ''}`, ...extra };
  if (!('DOCKER_HOST' in extra)) delete env.DOCKER_HOST;
  return env;
}

/** Runs a program (no shell), collecting output; never rejects. code is -1 when it was killed or could not start. */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: opts.env ?? sysEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${opts.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export function runSync(file: string, args: string[], timeoutMs = 20_000): ExecResult {
  const r = spawnSync(file, args, { env: sysEnv(), encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Like run, but throws with the command's output when it fails. */
export async function must(file: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0)
    throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** True when prefix a/alen overlaps b/blen. */
function overlaps(a: number, alen: number, b: number, blen: number): boolean {
  const len = Math.min(alen, blen);
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

/** Prefixes already in use on this machine (addresses and routes in the root namespace). */
function usedPrefixes(): Array<[number, number]> {
  const used: Array<[number, number]> = [];
  const addrs = runSync('ip', ['-j', '-4', 'addr', 'show']);
  for (const link of JSON.parse(addrs.stdout || '[]') as Array<{
    addr_info?: Array<{ local: string; prefixlen: number }>;
  }>)
    for (const a of link.addr_info ?? []) used.push([ipToInt(a.local), a.prefixlen]);
  const routes = runSync('ip', ['-j', '-4', 'route', 'show', 'table', 'all']);
  for (const r of JSON.parse(routes.stdout || '[]') as Array<{ dst?: string }>) {
    if (!r.dst || r.dst === 'default' || !/^\d/.test(r.dst)) continue;
    const [ip, len] = r.dst.split('/');
    if (ip) used.push([ipToInt(ip), len === undefined ? 32 : Number(len)]);
  }
  return used;
}

export interface NetAllocation {
  name: string;
  hostVeth: string;
  hostIp: string;
  nsIp: string;
}

/**
 * Creates a uniquely named netns with a veth pair on a free /30: host side PREFIX<i>h, namespace side renamed to eth0.
 * `ip netns add` fails when the name exists, so it doubles as the lock between parallel test workers.
 */
export async function createNetns(): Promise<NetAllocation> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const idx = Math.floor(Math.random() * SUBNET_COUNT);
    const net = (SUBNET_BASE + idx * 4) >>> 0;
    if (usedPrefixes().some(([p, len]) => overlaps(p, len, net, 30))) continue;
    const name = `${PREFIX}-${idx}`;
    if ((await run('ip', ['netns', 'add', name])).code !== 0) continue;
    const a: NetAllocation = { name, hostVeth: `${PREFIX}${idx}h`, hostIp: intToIp(net + 1), nsIp: intToIp(net + 2) };
    const steps: string[][] = [
      ['link', 'add', a.hostVeth, 'type', 'veth', 'peer', 'name', `${PREFIX}${idx}n`],
      ['link', 'set', `${PREFIX}${idx}n`, 'netns', name],
      ['-n', name, 'link', 'set', `${PREFIX}${idx}n`, 'name', 'eth0'],
      ['addr', 'add', `${a.hostIp}/30`, 'dev', a.hostVeth],
      ['link', 'set', a.hostVeth, 'up'],
      ['-n', name, 'addr', 'add', `${a.nsIp}/30`, 'dev', 'eth0'],
      ['-n', name, 'link', 'set', 'eth0', 'up'],
      ['-n', name, 'link', 'set', 'lo', 'up'],
    ];
    try {
      for (const s of steps) await must('ip', s);
    } catch (err) {
      destroyNetnsSync(a);
      throw err;
    }
    return a;
  }
  throw new Error('no free test subnet/namespace name found in 50 attempts');
}

/** Deletes the netns and waits (up to 5 s) until the kernel has removed the veth pair. */
export function destroyNetnsSync(a: { name: string; hostVeth: string }): void {
  if (existsSync(`/run/netns/${a.name}`)) runSync('ip', ['netns', 'del', a.name]);
  for (let i = 0; i < 50 && existsSync(`/sys/class/net/${a.hostVeth}`); i++) sleepSync(100);
  if (existsSync(`/sys/class/net/${a.hostVeth}`)) runSync('ip', ['link', 'del', a.hostVeth]);
}

/** Mount points of every cgroup hierarchy (v1 controllers, named and unified ones, or the single v2 tree). */
export function cgroupHierarchies(): Array<{ mount: string; pids: boolean }> {
  const out: Array<{ mount: string; pids: boolean }> = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fstype = right.split(' ')[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mount = left.split(' ')[4] ?? '';
    const superOpts = right.split(' ')[2]?.split(',') ?? [];
    out.push({ mount, pids: fstype === 'cgroup2' || superOpts.includes('pids') });
  }
  return out;
}

/** The cgroup dir the harness puts its own processes in (`<pids or v2 root>/<name>/host`), created; undefined if unavailable. */
export function hostCgroup(name: string): string | undefined {
  const all = cgroupHierarchies();
  const v2only = all.length === 1 && all[0]?.mount === '/sys/fs/cgroup';
  const root = all.find((h) => (v2only ? true : h.pids && !h.mount.endsWith('/unified')));
  if (!root) return undefined;
  const dir = join(root.mount, name, 'host');
  return spawnSync('mkdir', ['-p', dir]).status === 0 ? dir : undefined;
}

function cgroupProcs(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string): void => {
    try {
      for (const p of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.push(Number(p));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      /* gone meanwhile */
    }
  };
  walk(dir);
  return pids;
}

/** SIGKILLs every process in `<hierarchy>/<name>` (keeper, sshd, dockerd, containerd, shims, containers), then rmdirs the tree. */
export function killAndRemoveCgroupSync(name: string): void {
  const dirs = cgroupHierarchies()
    .map((h) => join(h.mount, name))
    .filter((d) => existsSync(d));
  for (let round = 0; round < 50; round++) {
    const pids = dirs.flatMap(cgroupProcs);
    if (pids.length === 0) break;
    for (const pid of pids) killQuietly(pid, 'SIGKILL');
    sleepSync(50);
  }
  const rmTree = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(d, e.name));
    for (let i = 0; i < 20; i++) {
      try {
        return rmdirSync(d);
      } catch {
        sleepSync(50); // EBUSY until exited processes are reaped
      }
    }
  };
  for (const d of dirs) {
    try {
      rmTree(d);
    } catch {
      /* reported by the leftover check of the caller */
    }
  }
}

export function killQuietly(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Pids whose command line mentions `needle` (the harness dir): a second net for processes outside the cgroup. */
export function pidsMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) out.push(Number(e));
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

/** Mount points in this (root) mount namespace at or below dir: must be none, the harness mounts only in its own namespace. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

export function removeDirSync(dir: string): void {
  for (const m of mountsUnder(dir).reverse()) runSync('umount', ['-l', m]);
  try {
    if (statSync(dir).isDirectory()) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    /* already gone */
  }
}
