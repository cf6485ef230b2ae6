import type { SshPool } from '../ssh/pool.js';
import type { ServerRecord } from './types.js';

/**
 * Resolves when a registered server answers now, rejects with the connect error when it does not. A live pooled
 * connection says so for free; otherwise one connection is made (checked against the pinned host key, and
 * authenticated, as a job's would be) and closed at once: probes never hold connections in the pool.
 */
export async function checkAnswers(pool: SshPool, server: ServerRecord, signal?: AbortSignal): Promise<void> {
  if (pool.connectionCount(server.name) > 0) return;
  signal?.throwIfAborted();
  const probe = pool.probe(server, { expected: server.host_key_fingerprint || undefined });
  if (!signal) return void (await probe);
  // An abort (shutdown) stops waiting; the probe itself ends within the connect timeout, its result dropped.
  probe.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    probe.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}
