import fs from 'node:fs';
import path from 'node:path';
import { DeckhandError } from '../../errors.js';
import type { RouteInput } from './types.js';

/** What deckhand keeps locally about one stack on one server: its secrets and the inputs it was deployed with. */
export interface StackState {
  readonly version: 1;
  readonly app: string | null;
  /** Generated once, reused on every redeploy. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The inputs of the release that is deployed (user env values are secret too); null before the first success. */
  readonly deployed: {
    readonly env: Readonly<Record<string, string>>;
    readonly domain: string | null;
    readonly route?: RouteInput | undefined;
    readonly hash: string;
    readonly deployed_at: string;
  } | null;
}

const SAFE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * DECKHAND_HOME/secrets/<server>/<stack>.json, mode 0600 in 0700 directories, written atomically (temp file +
 * rename). Only the process holding the stack's lock on the server writes a stack's file.
 */
export class StackStateStore {
  constructor(private readonly home: string) {}

  file(server: string, stack: string): string {
    if (!SAFE.test(server) || !SAFE.test(stack)) throw new Error(`unsafe state path ${server}/${stack}`);
    return path.join(this.home, 'secrets', server, `${stack}.json`);
  }

  read(server: string, stack: string): StackState | undefined {
    const file = this.file(server, stack);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as StackState;
      if (parsed.version !== 1 || typeof parsed.secrets !== 'object') throw new Error('unexpected shape');
      return parsed;
    } catch (err) {
      throw new DeckhandError('state_corrupt', `The secrets file ${file} cannot be read: ${(err as Error).message}.`, {
        hint: 'Restore it from a backup: it holds the passwords the deployed app was set up with.',
      });
    }
  }

  write(server: string, stack: string, state: StackState): void {
    const file = this.file(server, stack);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.chmodSync(path.join(this.home, 'secrets'), 0o700);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  }

  saveSecrets(server: string, stack: string, app: string | null, secrets: Record<string, string>): void {
    const prev = this.read(server, stack);
    this.write(server, stack, { version: 1, app, secrets, deployed: prev?.deployed ?? null });
  }

  markDeployed(server: string, stack: string, app: string | null, deployed: NonNullable<StackState['deployed']>): void {
    const prev = this.read(server, stack);
    this.write(server, stack, { version: 1, app, secrets: prev?.secrets ?? {}, deployed });
  }

  remove(server: string, stack: string): void {
    fs.rmSync(this.file(server, stack), { force: true });
  }
}
