import { DeckhandError } from '../../errors.js';

export function duplicateJob(key: string, existingId: string | undefined): DeckhandError {
  return new DeckhandError(
    'duplicate_job',
    `A job with the unique key "${key}" already exists${existingId ? `: ${existingId}` : ''}.`,
    {
      hint: 'That slot was already created (by this or another instance); read that job instead of creating it again.',
    },
  );
}

export function storeUnavailable(where: string, detail: string, cause?: unknown): DeckhandError {
  return new DeckhandError('store_unavailable', `The job store (${where}) is unavailable: ${detail}.`, {
    hint: 'Running commands keep running; try again in a few seconds. If it persists, check the database.',
    ...(cause === undefined ? {} : { cause }),
  });
}

export function serverExists(name: string): DeckhandError {
  return new DeckhandError('server_exists', `A server named "${name}" is already registered.`, {
    hint: 'Pick another name, or remove the existing entry first with remove-server.',
  });
}
