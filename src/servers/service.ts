import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeckhandError, ValidationError } from '../errors.js';
import { normalizeFingerprint } from '../ssh/host-keys.js';
import type { SshPool } from '../ssh/pool.js';
import { serverPolicySchema, type ServerPolicy } from '../policy/index.js';
import { planFromSshConfig } from './from-ssh-config.js';
import { importSshConfig, type ImportInput, type ImportResult } from './import.js';
import type { AddServerOutcome } from './outcome.js';
import type { Inventory } from './inventory.js';
import { registerJumpChain } from './jump-chain.js';
import { probeAndAdd, type Registered } from './register.js';
import type { ServerAuth, ServerRecord } from './types.js';

export interface AddServerInput {
  /** Required unless ssh_config_host gives it (the alias as a slug). */
  name?: string | undefined;
  /** Required unless ssh_config_host gives it. */
  host?: string | undefined;
  port?: number | undefined;
  user?: string | undefined;
  private_key_path?: string | undefined;
  passphrase_env?: string | undefined;
  password_env?: string | undefined;
  use_agent?: boolean | undefined;
  host_key_fingerprint?: string | undefined;
  labels?: Record<string, string> | undefined;
  policy?: ServerPolicy | undefined;
  /** A registered server to reach this one through (a bastion); overrides a ProxyJump from ssh_config. */
  via?: string | undefined;
  sudo_password_env?: string | undefined;
  /** A Host of the user's ssh_config to take host, port, user, key and ProxyJump from (values given here win). */
  ssh_config_host?: string | undefined;
}

export type { AddServerOutcome };

export interface ServerServiceOptions {
  /** DECKHAND_SSH_CONFIG: read alone instead of ~/.ssh/config (and /etc/ssh/ssh_config). */
  readonly sshConfigFile?: string | undefined;
  /** For `${VAR}` in ssh_config paths and SSH_AUTH_SOCK. */
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

/** The default key when add-server names no auth method: the user's usual keys, like ssh itself. */
function defaultKeyPath(): string | undefined {
  for (const f of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const p = path.join(os.homedir(), '.ssh', f);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

export class ServerService {
  private readonly now: () => Date;

  constructor(
    private readonly inventory: Inventory,
    private readonly pool: SshPool,
    private readonly o: ServerServiceOptions = { env: {} },
  ) {
    this.now = o.now ?? (() => new Date());
  }

  /** Connects once to prove the server works, then pins its host key (verified, from known_hosts, or on first use). */
  async add(input: AddServerInput, opts: { sshConfigFile?: string | undefined } = {}): Promise<AddServerOutcome> {
    if (input.ssh_config_host !== undefined)
      return this.addFromSshConfig(input, input.ssh_config_host, opts.sshConfigFile);
    if (!input.name || !input.host) {
      throw new ValidationError(
        `add-server needs ${!input.name ? 'name' : 'host'} (or ssh_config_host, to take the server from your ssh config).`,
        'Give name and host, or ssh_config_host: "<a Host from ~/.ssh/config>".',
      );
    }
    await this.refuseTaken(input.name);
    if (input.via) await this.inventory.get(input.via);
    const draft = this.draft(input, {
      name: input.name,
      host: input.host,
      port: input.port ?? 22,
      user: input.user ?? 'root',
      auth: this.givenAuth(input) ?? this.defaultAuth(),
      via: input.via,
    });
    const r = await probeAndAdd(this.inventory, this.pool, draft, { given: this.givenFingerprint(input) });
    return outcome(r);
  }

  list(): Promise<ServerRecord[]> {
    return this.inventory.list();
  }

  /** One server by name, or unknown_server listing the known names. */
  get(name: string): Promise<ServerRecord> {
    return this.inventory.get(name);
  }

  /**
   * Replaces a server's policy (a person's action: the CLI's `deckhand servers policy`); an empty policy goes back
   * to the default. Validated here too, since the CLI builds it from flags.
   */
  async setPolicy(name: string, policy: ServerPolicy): Promise<ServerRecord> {
    const parsed = serverPolicySchema.safeParse(policy);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DeckhandError(
        'invalid_argument',
        `That policy is not valid: ${issue?.path.join('.') || 'policy'}: ${issue?.message}.`,
        { hint: 'Patterns are globs over command words, e.g. "systemctl restart *" or "rm **".' },
      );
    }
    await this.inventory.get(name);
    const updated = await this.inventory.update(name, (r) => {
      const { policy: _old, ...rest } = r;
      return isEmptyPolicy(parsed.data) ? rest : { ...rest, policy: parsed.data };
    });
    if (!updated) return this.inventory.get(name);
    return updated;
  }

  /** Forgets a server; refused while another server goes through it (its via), which would be left unreachable. */
  async remove(name: string): Promise<ServerRecord> {
    const existing = await this.inventory.get(name);
    const behind = (await this.inventory.list()).filter((s) => s.via === existing.name).map((s) => s.name);
    if (behind.length) {
      throw new DeckhandError(
        'bastion_in_use',
        `"${existing.name}" is the jump host of ${behind.map((n) => `"${n}"`).join(', ')}; removing it would leave them unreachable.`,
        {
          hint: `Remove ${behind.length > 1 ? 'those servers' : `"${behind[0]}"`} first (or register them again with another via).`,
        },
      );
    }
    await this.inventory.remove(existing.name);
    this.pool.forget(existing.name);
    return existing;
  }

  /** The config file a call reads: the one given, else DECKHAND_SSH_CONFIG, else ~/.ssh/config and the system file. */
  sshConfigOptions(file?: string) {
    const f = file ?? this.o.sshConfigFile;
    return { ...(f ? { file: f } : {}), env: this.o.env };
  }

  /**
   * `deckhand servers import`: every Host of the ssh config matching the pattern, registered as add-server with
   * ssh_config_host does it; each result is handed to onResult as it comes.
   */
  importSshConfig(input: ImportInput, onResult: (r: ImportResult) => void | Promise<void>): Promise<ImportResult[]> {
    const deps = {
      options: (file?: string) => this.sshConfigOptions(file),
      find: (name: string) => this.inventory.find(name),
      add: (alias: string) => this.add({ ssh_config_host: alias }, { sshConfigFile: input.file }),
    };
    return importSshConfig(deps, input, onResult);
  }

  private async addFromSshConfig(input: AddServerInput, alias: string, file?: string): Promise<AddServerOutcome> {
    const plan = await planFromSshConfig(alias, this.sshConfigOptions(file));
    const t = plan.target;
    const name = input.name ?? t.name;
    await this.refuseTaken(name);
    if (input.via) await this.inventory.get(input.via);
    const notes = [...t.notes];
    if (input.via && plan.hops.length)
      notes.push(`via "${input.via}" was given, so ProxyJump (${t.sources.proxy_jump}) was not used.`);
    const chain = input.via ? undefined : await registerJumpChain(this.inventory, this.pool, plan.hops, name, this.now);
    const given = this.givenAuth(input);
    const sources: Record<string, string> = { ...t.sources };
    for (const k of ['host', 'port', 'user'] as const) if (input[k] !== undefined) sources[k] = 'given';
    if (given) sources.key = 'given';
    const draft = this.draft(input, {
      name,
      host: input.host ?? t.host,
      port: input.port ?? t.port,
      user: input.user ?? t.user,
      auth: given ?? { ...t.auth, ...(input.passphrase_env ? { passphrase_env: input.passphrase_env } : {}) },
      via: input.via ?? chain?.via,
      ssh_config_host: alias,
    });
    try {
      const r = await probeAndAdd(this.inventory, this.pool, draft, {
        given: this.givenFingerprint(input),
        known: t.knownKeys,
      });
      return {
        ...outcome(r),
        sources,
        ...(chain?.hops.length ? { hops: chain.hops } : {}),
        ...(notes.length ? { notes } : {}),
      };
    } catch (err) {
      await chain?.undo();
      throw err;
    }
  }

  private draft(
    input: AddServerInput,
    o: Pick<ServerRecord, 'name' | 'host' | 'port' | 'user' | 'auth' | 'via' | 'ssh_config_host'>,
  ): ServerRecord {
    return {
      name: o.name,
      host: o.host,
      port: o.port,
      user: o.user,
      auth: stripUndefined(o.auth),
      host_key_fingerprint: '',
      labels: input.labels ?? {},
      added_at: this.now().toISOString(),
      ...(o.via ? { via: o.via } : {}),
      ...(input.sudo_password_env ? { sudo_password_env: input.sudo_password_env } : {}),
      ...(o.ssh_config_host ? { ssh_config_host: o.ssh_config_host } : {}),
      ...(input.policy && !isEmptyPolicy(input.policy) ? { policy: input.policy } : {}),
    };
  }

  private async refuseTaken(name: string): Promise<void> {
    if (await this.inventory.find(name)) {
      throw new DeckhandError('server_exists', `A server named "${name}" is already registered.`, {
        hint: 'Pick another name, or remove the existing entry first with remove-server.',
      });
    }
  }

  /** The auth the caller spelled out, if any (passphrase_env alone only qualifies the ssh_config's key). */
  private givenAuth(input: AddServerInput): ServerAuth | undefined {
    if (!input.private_key_path && !input.password_env && !input.use_agent) return undefined;
    return {
      private_key_path: input.private_key_path,
      passphrase_env: input.passphrase_env,
      password_env: input.password_env,
      use_agent: input.use_agent,
    };
  }

  private defaultAuth(): ServerAuth {
    const key = defaultKeyPath();
    if (!key) {
      throw new DeckhandError(
        'no_auth_method',
        'No authentication method was given and no default key (~/.ssh/id_ed25519, id_ecdsa, id_rsa) exists.',
        {
          hint: 'Give private_key_path, password_env (the NAME of an environment variable holding the password) or use_agent: true.',
        },
      );
    }
    return { private_key_path: key };
  }

  private givenFingerprint(input: AddServerInput): string | undefined {
    if (input.host_key_fingerprint === undefined) return undefined;
    const fp = normalizeFingerprint(input.host_key_fingerprint);
    if (!fp) {
      throw new DeckhandError(
        'invalid_argument',
        `host_key_fingerprint "${input.host_key_fingerprint}" is not a SHA256 fingerprint.`,
        {
          hint: 'Give it as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server, e.g. "SHA256:7o6m…" (43 base64 characters).',
        },
      );
    }
    return fp;
  }
}

function outcome(r: Registered): AddServerOutcome {
  return { server: r.server, trust: r.trust, ...(r.knownHostsLine ? { known_hosts: r.knownHostsLine } : {}) };
}

function isEmptyPolicy(p: ServerPolicy): boolean {
  return p.mode === undefined && !p.deny?.length && !p.allow?.length;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
