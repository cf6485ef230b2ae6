import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSecretStore } from '../../src/jobs/store/sqlite/secrets.js';
import { DECKHAND_KEY_NAME, ensureDeckhandKey } from '../../src/provisioning/deckhand-key.js';
import { SharedDeckhandKey } from '../../src/provisioning/shared-key.js';
import { tempHome } from '../helpers/home.js';

// The shared store here is a real SecretStore implementation (the file one, in a directory of its own): what the
// instances share in PostgreSQL mode, where the table implementation passes the same contract suite.
describe("deckhand's own SSH key, shared by several instances", () => {
  const homes: { dir: string; cleanup(): void }[] = [];
  const home = () => {
    const h = tempHome();
    homes.push(h);
    return h.dir;
  };
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));
  const keyOf = (dir: string) => fs.readFileSync(path.join(dir, 'keys', DECKHAND_KEY_NAME), 'utf8');

  it('is made once by the first instance that needs it, put in place by the others at start, the store winning', async () => {
    const shared = new FileSecretStore(home());
    const [a, b, c] = [home(), home(), home()];
    // c made a key of its own before it joined (an embedded home turned shared): the shared one replaces it.
    ensureDeckhandKey(c);
    const own = keyOf(c);
    await new SharedDeckhandKey(b, shared).pull();
    expect(fs.existsSync(path.join(b, 'keys', DECKHAND_KEY_NAME))).toBe(false);
    await new SharedDeckhandKey(a, shared).ensure();
    const made = keyOf(a);
    expect(await shared.get(`ssh/${DECKHAND_KEY_NAME}`)).toBe(made);
    await new SharedDeckhandKey(b, shared).pull();
    await new SharedDeckhandKey(c, shared).ensure();
    expect(keyOf(b)).toBe(made);
    expect(keyOf(c)).toBe(made);
    expect(keyOf(c)).not.toBe(own);
    expect(fs.statSync(path.join(c, 'keys', DECKHAND_KEY_NAME)).mode & 0o777).toBe(0o600);
    // The public half follows the private one.
    expect(ensureDeckhandKey(c).publicKey).toBe(ensureDeckhandKey(a).publicKey);
  });

  it('two instances making it at once end up with one key', async () => {
    const shared = new FileSecretStore(home());
    const [a, b] = [home(), home()];
    await Promise.all([new SharedDeckhandKey(a, shared).ensure(), new SharedDeckhandKey(b, shared).ensure()]);
    expect(keyOf(a)).toBe(keyOf(b));
  });

  it('does nothing in the embedded mode (no shared store)', async () => {
    const a = home();
    await new SharedDeckhandKey(a, undefined).ensure();
    await new SharedDeckhandKey(a, undefined).pull();
    expect(fs.existsSync(path.join(a, 'keys'))).toBe(false);
  });
});
