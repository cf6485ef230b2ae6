import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeckhandError } from '../errors.js';
import type { Inventory } from './inventory.js';
import type { ServerAuth, ServerRecord } from './types.js';
import { normalizeFingerprint } from '../ssh/host-keys.js';
import type { SshPool } from '../ssh/pool.js';
import { serverPolicySchema, type ServerPolicy } from '../policy/index.js';

export interface AddServerInput {
  name: string;
  host: string;
  port: number;
  user: string;
  private_key_path?: string | undefined;
  passphrase_env?: string | undefined;
  password_env?: string | undefined;
  use_agent?: boolean | undefined;
  host_key_fingerprint?: string | undefined;
  labels?: Record<string, string> | undefined;
  policy?: ServerPolicy | undefined;
}

export interface AddServerOutcome {
  server: ServerRecord;
  trust: 'verified' | 'first-use';
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
  constructor(
    private readonly inventory: Inventory,
    private readonly pool: SshPool,
  ) {}

  /** Connects once to prove the server works, then pins its host key (verified or trust on first use). */
  async add(input: AddServerInput): Promise<AddServerOutcome> {
    if (await this.inventory.find(input.name)) {
      throw new DeckhandError('server_exists', `A server named "${input.name}" is already registered.`, {
        hint: 'Pick another name, or remove the existing entry first with remove-server.',
      });
    }
    let expected: string | undefined;
    if (input.host_key_fingerprint !== undefined) {
      expected = normalizeFingerprint(input.host_key_fingerprint);
      if (!expected) {
        throw new DeckhandError(
          'invalid_argument',
          `host_key_fingerprint "${input.host_key_fingerprint}" is not a SHA256 fingerprint.`,
          {
            hint: 'Give it as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the server, e.g. "SHA256:7o6m…" (43 base64 characters).',
          },
        );
      }
    }
    let auth: ServerAuth = {
      private_key_path: input.private_key_path,
      passphrase_env: input.passphrase_env,
      password_env: input.password_env,
      use_agent: input.use_agent,
    };
    if (!auth.private_key_path && !auth.password_env && !auth.use_agent) {
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
      auth = { ...auth, private_key_path: key };
    }
    const draft: ServerRecord = {
      name: input.name,
      host: input.host,
      port: input.port,
      user: input.user,
      auth: stripUndefined(auth),
      host_key_fingerprint: expected ?? '',
      labels: input.labels ?? {},
      added_at: new Date().toISOString(),
      ...(input.policy && !isEmptyPolicy(input.policy) ? { policy: input.policy } : {}),
    };
    const probe = await this.pool.probe(draft, { expected });
    const record: ServerRecord = { ...draft, host_key_fingerprint: probe.fingerprint, host_key_type: probe.keyType };
    await this.inventory.add(record);
    return { server: record, trust: expected ? 'verified' : 'first-use' };
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

  async remove(name: string): Promise<ServerRecord> {
    const existing = await this.inventory.get(name);
    await this.inventory.remove(existing.name);
    this.pool.forget(existing.name);
    return existing;
  }
}

function isEmptyPolicy(p: ServerPolicy): boolean {
  return p.mode === undefined && !p.deny?.length && !p.allow?.length;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
