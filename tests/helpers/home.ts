import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh DECKHAND_HOME per test; nothing touches the user's real one. */
export function tempHome(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-home-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
