import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';

export interface DashboardToken {
  readonly token: string;
  /** Where it came from, for the start-up line (the token itself is never printed or logged). */
  readonly source:
    { readonly kind: 'env' } | { readonly kind: 'file'; readonly file: string; readonly created: boolean };
}

export const TOKEN_FILE = 'dashboard-token';

/**
 * The token the login form asks for. The dashboard always requires one, even on loopback: a browser is the one
 * client any web page can steer (DNS rebinding, CSRF), and every local user and container on the host shares the
 * loopback address, while the pages show job parameters and output and can cancel work. With DECKHAND_HTTP_TOKEN
 * set it is that token (the MCP endpoint's); without it, a random one kept in DECKHAND_HOME/dashboard-token (mode
 * 0600, created on first use), so only the OS user who owns the home can log in, and `serve --http` and
 * `deckhand dashboard` on the same home share it.
 */
export function dashboardToken(envToken: string | undefined, home: string): DashboardToken {
  if (envToken) return { token: envToken, source: { kind: 'env' } };
  const file = path.join(home, TOKEN_FILE);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  let created = false;
  try {
    fs.writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.statSync(file);
  if ((st.mode & 0o077) !== 0) {
    throw new ConfigError(
      `${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${file}, or set DECKHAND_HTTP_TOKEN.`,
    );
  }
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 16) {
    throw new ConfigError(
      `${file} holds fewer than 16 characters: delete it to have a new token made, or set DECKHAND_HTTP_TOKEN.`,
    );
  }
  return { token, source: { kind: 'file', file, created } };
}
