import fs from 'node:fs';
import { DeckhandError } from '../errors.js';
import { lookupKnownHosts, pinFromKnownHosts, type KnownHostKey } from '../ssh/known-hosts.js';
import { resolveSshConfig, type SshConfigHost, type SshConfigOptions } from '../ssh/ssh-config.js';
import { resolveJumpChain } from '../ssh/ssh-config-jump.js';
import { MAX_HOPS } from '../ssh/target.js';
import type { ServerAuth } from './types.js';

/** One host as the user's ssh_config describes it, ready to register: address, login, key, and where each came from. */
export interface HostPlan {
  /** The Host alias (or, for a `user@host` ProxyJump hop, the host as written). */
  readonly alias: string;
  /** The name to register it under: the alias as a lowercase slug. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly auth: ServerAuth;
  /** host, port, user, key → "file line N", "default", or what was used instead. */
  readonly sources: Readonly<Record<string, string>>;
  /** Keys known_hosts lists for the host (hashed lines included), none when it lists none. */
  readonly knownKeys: readonly KnownHostKey[];
  /** What was read but not honoured (ForwardAgent, CanonicalizeHostname ...). */
  readonly notes: readonly string[];
}

export interface SshConfigPlan {
  readonly target: HostPlan;
  /** The jump hosts in front of it, first hop first (ProxyJump), at most MAX_HOPS. */
  readonly hops: readonly HostPlan[];
}

/** The known_hosts files ssh reads besides UserKnownHostsFile when GlobalKnownHostsFile is not set. */
const GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/** Resolves a Host alias and its ProxyJump chain as `ssh -G` would, into hosts deckhand can register. */
export async function planFromSshConfig(
  alias: string,
  opts: SshConfigOptions & { readonly env: NodeJS.ProcessEnv },
): Promise<SshConfigPlan> {
  const target = await resolveSshConfig(alias, opts);
  const chain = await resolveJumpChain(target, opts, MAX_HOPS);
  return {
    target: await toPlan(target, opts.env),
    hops: await Promise.all(chain.map((h) => toPlan(h, opts.env))),
  };
}

/** A Host alias as a server name: lowercase, runs of other characters as "-", at most 63 characters. */
export function serverNameFor(alias: string): string {
  const slug = alias
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  if (!slug) {
    throw new DeckhandError('invalid_argument', `The ssh_config host "${alias}" gives no usable server name.`, {
      hint: 'Pass name explicitly (a lowercase slug like "web-1").',
    });
  }
  return slug;
}

async function toPlan(h: SshConfigHost, env: NodeJS.ProcessEnv): Promise<HostPlan> {
  if (h.proxyCommand) {
    throw new DeckhandError(
      'ssh_config_unsupported',
      `${h.sources.proxycommand ?? 'The ssh config'}: "${h.alias}" is reached with ProxyCommand ${h.proxyCommand}, which deckhand cannot run.`,
      {
        hint: 'Use ProxyJump for that host instead, or register its bastion with add-server and give via.',
      },
    );
  }
  const { auth, source } = authFor(h, env);
  const lookup = await lookupKnownHosts(knownHostsFiles(h), h.hostKeyAlias ?? h.hostName, h.port);
  // Refuses a host whose only known keys are revoked; the chosen key itself is not needed (any listed key will do).
  pinFromKnownHosts(lookup);
  return {
    alias: h.alias,
    name: serverNameFor(h.alias),
    host: h.hostName,
    port: h.port,
    user: h.user,
    auth,
    sources: {
      host: h.sources.hostname ? `HostName, ${h.sources.hostname}` : 'the alias itself (no HostName)',
      port: h.sources.port ? `Port, ${h.sources.port}` : 'default (22)',
      user: h.sources.user ? `User, ${h.sources.user}` : 'default (the local user)',
      key: source,
      ...(h.proxyJumpRaw ? { proxy_jump: `ProxyJump ${h.proxyJumpRaw}, ${h.sources.proxyjump ?? ''}`.trim() } : {}),
      ...(h.identitiesOnly ? { identities_only: `IdentitiesOnly yes, ${h.sources.identitiesonly ?? ''}`.trim() } : {}),
    },
    knownKeys: lookup.keys,
    notes: h.notes,
  };
}

/**
 * The key ssh would offer first: the first IdentityFile that exists (the config's, else OpenSSH's default names).
 * With none on disk, the ssh-agent, unless IdentitiesOnly forbids keys the config does not name.
 */
function authFor(h: SshConfigHost, env: NodeJS.ProcessEnv): { auth: ServerAuth; source: string } {
  const i = h.identityFiles.findIndex((f) => fs.existsSync(f));
  if (i >= 0) {
    const at = h.identityFileSources[i] ?? 'default';
    const source = at === 'default' ? `default key name (${h.identityFilesRaw[i]})` : `IdentityFile, ${at}`;
    return { auth: { private_key_path: h.identityFiles[i] as string }, source };
  }
  if (!h.identitiesOnly && env.SSH_AUTH_SOCK) {
    return { auth: { use_agent: true }, source: 'the ssh-agent at $SSH_AUTH_SOCK (no IdentityFile exists)' };
  }
  const tried = h.identityFiles.join(', ');
  throw new DeckhandError('no_auth_method', `No key for "${h.alias}": none of its identity files exists (${tried}).`, {
    hint: h.identitiesOnly
      ? 'Fix the IdentityFile line for that host, or pass private_key_path.'
      : 'Fix the IdentityFile line for that host, pass private_key_path, or start deckhand with an ssh-agent (SSH_AUTH_SOCK).',
  });
}

function knownHostsFiles(h: SshConfigHost): string[] {
  const global = h.options.globalknownhostsfile;
  return [...h.userKnownHostsFiles, ...(global && global[0] !== 'none' ? global : GLOBAL_KNOWN_HOSTS)];
}
