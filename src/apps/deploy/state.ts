import fs from 'node:fs';
import path from 'node:path';
import { DeckhandError } from '../../errors.js';
import type { SecretStore } from '../../jobs/store/contract.js';
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
 * Embedded mode: DECKHAND_HOME/secrets/<server>/<stack>.json, mode 0600 in 0700 directories, written atomically
 * (temp file + rename). PostgreSQL mode (`shared`): the secret store's `deploy/<server>/<stack>`, sealed with
 * DECKHAND_SECRET_KEY, so a redeploy through any instance reuses the passwords the first deploy generated. Only the
 * job holding the stack's lock on the server writes a stack's state.
 */
export class StackStateStore {
  constructor(
    private readonly home: string,
    private readonly shared?: SecretStore,
  ) {}

  file(server: string, stack: string): string {
    this.check(server, stack);
    return path.join(this.home, 'secrets', server, `${stack}.json`);
  }

  private check(server: string, stack: string): void {
    if (!SAFE.test(server) || !SAFE.test(stack)) throw new Error(`unsafe state path ${server}/${stack}`);
  }

  private key(server: string, stack: string): string {
    this.check(server, stack);
    return `deploy/${server}/${stack}`;
  }

  async read(server: string, stack: string): Promise<StackState | undefined> {
    const where = this.shared
      ? `The stored state of ${server}/${stack}`
      : `The secrets file ${this.file(server, stack)}`;
    let text: string | undefined;
    if (this.shared) text = await this.shared.get(this.key(server, stack));
    else {
      try {
        text = await fs.promises.readFile(this.file(server, stack), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (text === undefined) return undefined;
    try {
      const parsed = JSON.parse(text) as StackState;
      if (parsed.version !== 1 || typeof parsed.secrets !== 'object') throw new Error('unexpected shape');
      return parsed;
    } catch (err) {
      throw new DeckhandError('state_corrupt', `${where} cannot be read: ${(err as Error).message}.`, {
        hint: 'Restore it from a backup: it holds the passwords the deployed app was set up with.',
      });
    }
  }

  async write(server: string, stack: string, state: StackState): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    if (this.shared) return this.shared.put(this.key(server, stack), text);
    const file = this.file(server, stack);
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.promises.chmod(path.join(this.home, 'secrets'), 0o700);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, text, { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }

  async saveSecrets(server: string, stack: string, app: string | null, secrets: Record<string, string>): Promise<void> {
    const prev = await this.read(server, stack);
    await this.write(server, stack, { version: 1, app, secrets, deployed: prev?.deployed ?? null });
  }

  async markDeployed(
    server: string,
    stack: string,
    app: string | null,
    deployed: NonNullable<StackState['deployed']>,
  ): Promise<void> {
    const prev = await this.read(server, stack);
    await this.write(server, stack, { version: 1, app, secrets: prev?.secrets ?? {}, deployed });
  }

  async remove(server: string, stack: string): Promise<void> {
    if (this.shared) return this.shared.delete(this.key(server, stack));
    await fs.promises.rm(this.file(server, stack), { force: true });
  }
}
