import { CreateOutcomeUnknownError, ProviderError } from './errors.js';
import { abortableSleep } from './sleep.js';
import type { CreateServerSpec, Provider, ProviderAction, ProviderServer } from './types.js';

/** The label that marks servers deckhand created; only those are adopted or deleted by deckhand. */
export const MANAGED_BY_LABEL = { key: 'managed-by', value: 'deckhand' } as const;

export function isManagedByDeckhand(server: Pick<ProviderServer, 'labels'>): boolean {
  return server.labels[MANAGED_BY_LABEL.key] === MANAGED_BY_LABEL.value;
}

export interface CreateOrAdoptResult {
  server: ProviderServer;
  /** Actions to wait for; empty when an existing server was adopted. */
  actions: ProviderAction[];
  /** True when the server already existed (an earlier call, or a create whose answer was lost). */
  adopted: boolean;
}

export interface CreateOrAdoptOptions {
  signal?: AbortSignal;
  /**
   * After a create with unknown outcome, how many times to look the server up before concluding it was
   * not created (the API may list a new server a moment late). Default 3, `lookupDelayMs` (1 s) apart.
   */
  lookupAttempts?: number;
  lookupDelayMs?: number;
}

/**
 * Idempotent create keyed by name: adopts a server deckhand created earlier, refuses to touch a server
 * of the same name that deckhand did not create, and never sends a second create after a lost answer.
 */
export async function createOrAdoptServer(
  provider: Provider,
  spec: CreateServerSpec,
  opts: CreateOrAdoptOptions = {},
): Promise<CreateOrAdoptResult> {
  const { signal } = opts;
  const labeled: CreateServerSpec = {
    ...spec,
    labels: { ...spec.labels, [MANAGED_BY_LABEL.key]: MANAGED_BY_LABEL.value },
  };

  const existing = await provider.findServerByName(spec.name, { signal });
  if (existing) return adoptOrRefuse(existing, provider.name);

  try {
    const created = await provider.createServer(labeled, { signal });
    return { server: created.server, actions: created.actions, adopted: false };
  } catch (err) {
    if (!(err instanceof CreateOutcomeUnknownError)) throw err;
    const attempts = Math.max(1, opts.lookupAttempts ?? 3);
    for (let i = 1; i <= attempts; i++) {
      const found = await provider.findServerByName(spec.name, { signal });
      if (found) return adoptOrRefuse(found, provider.name);
      if (i < attempts) await abortableSleep(opts.lookupDelayMs ?? 1000, signal);
    }
    throw new ProviderError(`Creating server "${spec.name}" failed before ${provider.name} recorded it`, {
      code: 'create_failed',
      hint: `No server named "${spec.name}" exists at ${provider.name}, so running the same request again is safe`,
      cause: err,
    });
  }
}

function adoptOrRefuse(server: ProviderServer, providerName: string): CreateOrAdoptResult {
  if (isManagedByDeckhand(server)) return { server, actions: [], adopted: true };
  throw new ProviderError(
    `A server named "${server.name}" (id ${server.id}) already exists at ${providerName} and was not created by deckhand`,
    {
      code: 'name_taken',
      hint: `Choose another name: deckhand only adopts servers that carry its label ${MANAGED_BY_LABEL.key}=${MANAGED_BY_LABEL.value}`,
    },
  );
}
