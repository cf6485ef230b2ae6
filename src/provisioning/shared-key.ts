import fs from 'node:fs';
import path from 'node:path';
import type { SecretStore } from '../jobs/store/contract.js';
import { DECKHAND_KEY_NAME, ensureDeckhandKey } from './deckhand-key.js';

const STORED = `ssh/${DECKHAND_KEY_NAME}`;

/**
 * deckhand's own SSH key when several instances share one job system (PostgreSQL mode): the servers create-server
 * made through one instance must be reachable from every other, so the key lives in the shared secret store (sealed
 * with DECKHAND_SECRET_KEY) and each instance keeps a copy at DECKHAND_HOME/keys/deckhand_ed25519. The store wins:
 * a local key that differs is replaced. In the embedded mode (no shared store) nothing here does anything.
 */
export class SharedDeckhandKey {
  constructor(
    private readonly home: string,
    private readonly shared: SecretStore | undefined,
  ) {}

  /** At start: the shared key, if some instance made one, is put in place here. */
  async pull(): Promise<void> {
    if (!this.shared) return;
    const stored = await this.shared.get(STORED);
    if (stored !== undefined) this.writeLocal(stored);
  }

  /** Before create-server uses deckhand's key: the shared one, made once by whichever instance comes first. */
  async ensure(): Promise<void> {
    if (!this.shared) return;
    const stored = await this.shared.get(STORED);
    if (stored !== undefined) return this.writeLocal(stored);
    const local = ensureDeckhandKey(this.home);
    const mine = fs.readFileSync(local.privateKeyPath, 'utf8');
    this.writeLocal(await this.shared.putIfAbsent(STORED, mine));
  }

  private writeLocal(privateKey: string): void {
    const dir = path.join(this.home, 'keys');
    const file = path.join(dir, DECKHAND_KEY_NAME);
    let current: string | undefined;
    try {
      current = fs.readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === privateKey) return;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    fs.writeFileSync(tmp, privateKey, { mode: 0o600 });
    fs.renameSync(tmp, file);
    // The .pub is derived from the private key: ensureDeckhandKey writes it again.
    fs.rmSync(`${file}.pub`, { force: true });
    ensureDeckhandKey(this.home);
  }
}
