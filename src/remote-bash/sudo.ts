import type { Client } from 'ssh2';
import { DeckhandError } from '../errors.js';
import type { ServerRecord } from '../servers/index.js';
import { run } from '../ssh/exec.js';
import type { SudoMode } from './protocol.js';

/**
 * How remote-bash {sudo: true} runs on a server: `sudo -S` with the password from the environment variable the
 * server record names, else `sudo -n` (passwordless). The password is read when needed and never kept.
 */
export function sudoMode(server: ServerRecord, env: NodeJS.ProcessEnv): SudoMode {
  const name = server.sudo_password_env;
  if (!name) return { kind: 'n' };
  const password = env[name];
  if (password === undefined) {
    throw new DeckhandError(
      'secret_env_missing',
      `The environment variable ${name} (the sudo password of "${server.user}" on "${server.name}") is not set.`,
      {
        hint: `Set ${name} in the environment deckhand is started with (for example in the MCP client's "env" block).`,
      },
    );
  }
  if (/[\n\r\0]/.test(password)) {
    throw new DeckhandError('invalid_argument', `The sudo password in ${name} contains a line break or NUL.`, {
      hint: 'sudo reads one line: store the password alone, without a trailing newline.',
    });
  }
  return { kind: 'S', password };
}

/**
 * Before a sudo job is queued: is the login root already (nothing to do), and does sudo accept it now? A sudo that
 * asks for a password none is configured for fails here at once, never in a job waiting on a prompt.
 */
export async function checkSudo(
  client: Client,
  server: ServerRecord,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<'root' | SudoMode> {
  const mode = sudoMode(server, env);
  const sudo = mode.kind === 'S' ? `sudo -S -p '' true` : 'sudo -n true';
  const r = await run(
    client,
    `id -u; command -v sudo >/dev/null 2>&1 || { echo missing; exit 0; }; if e_=$(${sudo} 2>&1); then echo ok; else printf 'refused %s\\n' "$e_"; fi`,
    { timeoutMs: 30_000, signal, ...(mode.kind === 'S' ? { stdin: `${mode.password}\n` } : {}) },
  );
  const [uid, verdict = ''] = r.stdout.split('\n');
  if (uid?.trim() === '0') return 'root';
  if (verdict === 'ok') return mode;
  const who = `user "${server.user}" on "${server.name}"`;
  if (verdict === 'missing') {
    throw new DeckhandError('sudo_missing', `sudo is not installed for ${who}.`, {
      hint: 'Install sudo on the server, or register it with a root login.',
    });
  }
  const said = verdict.replace(/^refused /, '').trim() || `exit ${r.code ?? '?'}`;
  if (/password is required/i.test(said)) {
    throw new DeckhandError('sudo_password_required', `sudo asks ${who} for a password, and none is configured.`, {
      hint:
        'Allow the user passwordless sudo (a NOPASSWD rule in /etc/sudoers.d), or register the server with sudo_password_env, ' +
        'the NAME of an environment variable holding the password (remove-server, then add-server with sudo_password_env).',
    });
  }
  if (/incorrect password|try again|no password was provided/i.test(said)) {
    throw new DeckhandError(
      'sudo_auth_failed',
      `sudo rejected the password in ${server.sudo_password_env} for ${who}.`,
      {
        hint: `Check the value of ${server.sudo_password_env} in deckhand's environment (the login password of "${server.user}").`,
      },
    );
  }
  throw new DeckhandError('sudo_not_allowed', `sudo refused ${who}: ${said}`, {
    hint: 'Give the user a sudo rule on the server (visudo, or a file in /etc/sudoers.d), or register it with a root login.',
  });
}
