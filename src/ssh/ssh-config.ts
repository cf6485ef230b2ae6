/**
 * The user's ssh_config, read the way `ssh -G` reads it (OpenSSH 9.2): Include with globs (relative paths under
 * ~/.ssh), Host with wildcards and negation, Match host/originalhost/user/localuser/final/all, first obtained value
 * wins, `%h` in HostName, `~`/`%` tokens/`${VAR}` in paths. Not done: DNS canonicalization (CanonicalizeHostname is
 * noted, not applied), Match exec (refused when it would run), permission checks on the files.
 *
 * The `ssh-config` npm package was considered: its compute() passes Include through as a plain option, runs
 * `Match exec` commands in a shell, lets `?` match zero characters and expands no tokens; what it would have saved
 * is OpenSSH's 30-line argument splitter, so the reader here does that itself (ssh-config-read.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeckhandError } from '../errors.js';
import { runPass, type Collected } from './ssh-config-eval.js';
import { concreteHostNames } from './ssh-config-match.js';
import { readConfigEntries, type ConfigEntry } from './ssh-config-read.js';
import { expandHostName, expandPath, parseProxyJump, type JumpSpec, type TokenValues } from './ssh-config-tokens.js';

export type { JumpSpec } from './ssh-config-tokens.js';

export interface SshConfigOptions {
  /** A config file to read alone, like `ssh -F file`. Default: ~/.ssh/config, then the system file. */
  readonly file?: string | undefined;
  /** The local home directory (`~`, `%d`, relative Include paths). Default: os.homedir(). */
  readonly home?: string | undefined;
  /** The system-wide file read after the user's when `file` is not given; false to skip it. */
  readonly systemFile?: string | false | undefined;
  /** The local user (default User, `%u`, Match localuser). Default: os.userInfo().username. */
  readonly localUser?: string | undefined;
  /** For `${VAR}` in paths. Nothing is read from process.env unless the caller passes it. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface SshConfigHost {
  /** The name asked for (the Host alias). */
  readonly alias: string;
  /** Where to connect: HostName with %h expanded, lower-cased as ssh does; the alias when no HostName is set. */
  readonly hostName: string;
  readonly user: string;
  readonly port: number;
  /** Key files as ssh will open them (`~`, tokens and `${VAR}` expanded). */
  readonly identityFiles: readonly string[];
  /** The same, as written and as `ssh -G` prints them. */
  readonly identityFilesRaw: readonly string[];
  /** false: no IdentityFile applies and these are OpenSSH's default key names (only those that exist are tried). */
  readonly identityFilesFromConfig: boolean;
  readonly identitiesOnly: boolean;
  /** The ProxyJump hops in connection order (first hop first); [] for none. Each hop is a name to resolve in turn. */
  readonly proxyJump: readonly JumpSpec[];
  readonly proxyJumpRaw: string | undefined;
  /** A ProxyCommand, which deckhand cannot use (it would run a local command). */
  readonly proxyCommand: string | undefined;
  /** The name host keys are recorded under in known_hosts (HostKeyAlias), if set. */
  readonly hostKeyAlias: string | undefined;
  /** UserKnownHostsFile, expanded (default ~/.ssh/known_hosts and ~/.ssh/known_hosts2). */
  readonly userKnownHostsFiles: readonly string[];
  /** Every keyword's first obtained value (lower-case keyword → arguments), for what the fields above do not cover. */
  readonly options: Readonly<Record<string, readonly string[]>>;
  /** Where each of `options` came from ("file line N"), so an answer can say which line set a value. */
  readonly sources: Readonly<Record<string, string>>;
  /** Where each of `identityFilesRaw` came from ("file line N", or "default"). */
  readonly identityFileSources: readonly string[];
  /** What deckhand read but will not honour, for the answer to show (ForwardAgent, CanonicalizeHostname...). */
  readonly notes: readonly string[];
}

const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'];

export async function resolveSshConfig(alias: string, opts: SshConfigOptions = {}): Promise<SshConfigHost> {
  const home = opts.home ?? os.homedir();
  const localUser = opts.localUser ?? os.userInfo().username;
  const entries = await loadEntries(opts, home);
  const into: Collected = { first: new Map(), repeated: new Map() };
  const base = { originalHost: alias, localUser };
  const wantFinal = runPass(entries, { ...base, hostForHostLines: alias, finalPass: false }, into);
  const hn = into.first.get('hostname');
  const hostName = (hn ? expandHostName(hn.args[0] ?? '', alias, hn.at) : alias).toLowerCase();
  if (wantFinal) {
    // ssh re-reads the config once more with HostName in force; Host lines then match the resolved name.
    into.first.set('hostname', { args: [hostName], at: hn?.at ?? 'command line' });
    runPass(entries, { ...base, hostForHostLines: hostName, finalPass: true }, into);
  }
  const arg = (k: string) => into.first.get(k)?.args[0];
  const user = arg('user') ?? localUser;
  const port = parsePort(arg('port'), into.first.get('port')?.at);
  const jump = into.first.get('proxyjump');
  const proxyJumpRaw = jump && jump.args[0]?.toLowerCase() !== 'none' ? jump.args.join(' ') : undefined;
  const proxyCommandArgs = into.first.get('proxycommand')?.args;
  const proxyCommand = proxyCommandArgs && proxyCommandArgs[0] !== 'none' ? proxyCommandArgs.join(' ') : undefined;
  const hostKeyAlias = arg('hostkeyalias');
  const tokens: TokenValues = {
    hostName,
    originalHost: alias,
    port,
    user,
    localUser,
    home,
    localHostName: os.hostname(),
    uid: process.getuid?.() ?? 0,
    keyAlias: hostKeyAlias ?? alias,
    proxyJump: proxyJumpRaw ?? '',
  };
  const env = opts.env ?? {};
  const ids = into.repeated.get('identityfile') ?? [];
  const idRaw = ids.length ? ids.map((s) => s.args[0] ?? '') : DEFAULT_IDENTITIES.map((n) => `~/.ssh/${n}`);
  const idAt = ids.length ? ids.map((s) => s.at) : idRaw.map(() => 'default');
  const khSetting = into.first.get('userknownhostsfile');
  const khRaw = khSetting?.args ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
  return {
    alias,
    hostName,
    user,
    port,
    identityFiles: idRaw.map((p, i) => expandPath(p, tokens, env, idAt[i] as string)),
    identityFilesRaw: idRaw,
    identityFilesFromConfig: ids.length > 0,
    identitiesOnly: arg('identitiesonly')?.toLowerCase() === 'yes',
    proxyJump: jump && proxyJumpRaw ? parseProxyJump(proxyJumpRaw, jump.at) : [],
    proxyJumpRaw,
    proxyCommand,
    hostKeyAlias,
    userKnownHostsFiles: khRaw.map((p) => expandPath(p, tokens, env, khSetting?.at ?? 'default')),
    options: Object.fromEntries([...into.first].map(([k, s]) => [k, [...s.args]])),
    sources: Object.fromEntries([...into.first].map(([k, s]) => [k, s.at])),
    identityFileSources: idAt,
    notes: notesFor(into),
  };
}

function notesFor(into: Collected): string[] {
  const notes: string[] = [];
  const yes = (k: string) => /^(yes|true|always)$/i.test(into.first.get(k)?.args[0] ?? '');
  if (yes('forwardagent')) notes.push('ForwardAgent is set; deckhand never forwards an agent.');
  if (/^(yes|always)$/i.test(into.first.get('canonicalizehostname')?.args[0] ?? '')) {
    notes.push('CanonicalizeHostname is set; deckhand does not canonicalize host names (the name is used as written).');
  }
  if (into.first.get('proxycommand') && into.first.get('proxycommand')?.args[0] !== 'none') {
    notes.push('ProxyCommand is set; deckhand cannot run it: use ProxyJump or a bastion (via) instead.');
  }
  return notes;
}

function parsePort(v: string | undefined, at: string | undefined): number {
  if (v === undefined) return 22;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) {
    throw new DeckhandError('ssh_config_invalid', `${at}: Port "${v}" is not a port number.`, {
      hint: 'Give a number from 1 to 65535.',
    });
  }
  return n;
}

async function loadEntries(opts: SshConfigOptions, home: string): Promise<ConfigEntry[]> {
  if (opts.file !== undefined) {
    const file = path.resolve(opts.file);
    await fs.access(file).catch((cause: unknown) => {
      throw new DeckhandError('ssh_config_not_found', `The ssh config file ${file} does not exist or cannot be read.`, {
        hint: 'Check the path (it is read on the machine deckhand runs on).',
        cause,
      });
    });
    return readConfigEntries(file, { home, scope: 'user' });
  }
  const user = await readConfigEntries(path.join(home, '.ssh', 'config'), { home, scope: 'user' });
  const system = opts.systemFile ?? '/etc/ssh/ssh_config';
  return system === false ? user : [...user, ...(await readConfigEntries(system, { home, scope: 'system' }))];
}

/** A concrete host named on a `Host` line, for `deckhand servers import [PATTERN]`. */
export interface ListedHost {
  readonly name: string;
  /** "file line N" of its first Host line. */
  readonly at: string;
}

/** Every concrete name on the Host lines (wildcards and negations left out), in file order, each once. */
export async function listSshConfigHosts(opts: SshConfigOptions = {}): Promise<ListedHost[]> {
  const entries = await loadEntries(opts, opts.home ?? os.homedir());
  const seen = new Map<string, ListedHost>();
  for (const e of entries) {
    if (e.kind !== 'line' || e.keyword !== 'host') continue;
    for (const name of concreteHostNames(e.args)) if (!seen.has(name)) seen.set(name, { name, at: e.at });
  }
  return [...seen.values()];
}
