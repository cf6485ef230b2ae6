import type { JobFilesView } from '../jobs/files.js';
import { generateHostKeyPair, sha256Fingerprint, type HostKeyPair } from '../providers/index.js';

/**
 * The host key a create-server job injects is kept as the job's secret until the provider confirms the server, so
 * a job re-run after a crash injects the same key; then it is dropped: deckhand keeps only the fingerprint.
 */
export async function loadOrCreateHostKey(files: JobFilesView): Promise<HostKeyPair> {
  const saved = await files.readSecret<{ privateKey: string; publicKey: string }>('host-key');
  if (saved) return { ...saved, fingerprint: sha256Fingerprint(saved.publicKey) };
  const pair = generateHostKeyPair(`deckhand-host-key`);
  await files.putSecret('host-key', { privateKey: pair.privateKey, publicKey: pair.publicKey });
  return pair;
}
