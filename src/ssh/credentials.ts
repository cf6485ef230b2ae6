import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeckhandError } from '../errors.js';
import type { SshAuth } from './target.js';

export interface ResolvedCredentials {
  privateKey?: Buffer;
  passphrase?: string;
  password?: string;
  agent?: string;
  methods: string[];
}

export function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

/**
 * Reads the key file and the secrets named by environment variables at connect time.
 * Nothing read here is stored or logged.
 */
export async function resolveCredentials(
  auth: SshAuth,
  env: NodeJS.ProcessEnv,
  defaultKeyPath?: string,
): Promise<ResolvedCredentials> {
  const out: ResolvedCredentials = { methods: [] };
  const keyPath = auth.private_key_path ?? (auth.password_env || auth.use_agent ? undefined : defaultKeyPath);
  if (keyPath) {
    const full = expandHome(keyPath);
    try {
      out.privateKey = await fs.readFile(full);
    } catch (cause) {
      throw new DeckhandError('key_file_missing', `Cannot read the private key file ${full}.`, {
        hint: 'Check the path (it is read by the deckhand process, on the machine deckhand runs on) and its permissions.',
        cause,
      });
    }
    out.methods.push(`publickey (${full})`);
  }
  if (auth.passphrase_env) {
    const v = env[auth.passphrase_env];
    if (v === undefined) {
      throw new DeckhandError(
        'secret_env_missing',
        `The environment variable ${auth.passphrase_env} (key passphrase) is not set.`,
        {
          hint: `Set ${auth.passphrase_env} in the environment deckhand is started with (for example in the MCP client's "env" block).`,
        },
      );
    }
    out.passphrase = v;
  }
  if (auth.password_env) {
    const v = env[auth.password_env];
    if (v === undefined) {
      throw new DeckhandError(
        'secret_env_missing',
        `The environment variable ${auth.password_env} (password) is not set.`,
        {
          hint: `Set ${auth.password_env} in the environment deckhand is started with (for example in the MCP client's "env" block).`,
        },
      );
    }
    out.password = v;
    out.methods.push(`password (from $${auth.password_env})`);
  }
  if (auth.use_agent) {
    const sock = env.SSH_AUTH_SOCK;
    if (!sock) {
      throw new DeckhandError(
        'agent_missing',
        "use_agent is set but SSH_AUTH_SOCK is not set in deckhand's environment.",
        {
          hint: 'Start deckhand from a shell with a running ssh-agent, or use private_key_path instead.',
        },
      );
    }
    out.agent = sock;
    out.methods.push('agent');
  }
  if (out.methods.length === 0) {
    throw new DeckhandError('no_auth_method', 'No authentication method is configured for this server.', {
      hint: 'Give private_key_path, password_env or use_agent.',
    });
  }
  return out;
}
