import type { StoreKind } from '../schema.js';

/** Column types that differ between the two databases. */
export function columnTypes(kind: StoreKind) {
  return kind === 'postgres'
    ? ({ ms: 'bigint', json: 'jsonb', bytes: 'bytea' } as const)
    : ({ ms: 'integer', json: 'text', bytes: 'blob' } as const);
}
