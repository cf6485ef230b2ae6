import fs from 'node:fs';
import path from 'node:path';
import { jobDir } from '../jobs/job-log.js';
import { generateHostKeyPair, sha256Fingerprint, type HostKeyPair } from '../providers/index.js';

/**
 * The host key a create-server job injects lives beside the job (0600) until the provider confirms the server,
 * so a job re-run after a crash injects the same key; then it is deleted: deckhand keeps only the fingerprint.
 */
export function loadOrCreateHostKey(home: string, jobId: string): HostKeyPair {
  const dir = jobDir(home, jobId);
  const file = path.join(dir, 'host-key.json');
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { privateKey: string; publicKey: string };
    return { ...saved, fingerprint: sha256Fingerprint(saved.publicKey) };
  } catch {
    const pair = generateHostKeyPair(`deckhand-host-key`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify({ privateKey: pair.privateKey, publicKey: pair.publicKey }), {
      mode: 0o600,
    });
    return pair;
  }
}

export function dropHostKey(home: string, jobId: string): void {
  fs.rmSync(path.join(jobDir(home, jobId), 'host-key.json'), { force: true });
}
