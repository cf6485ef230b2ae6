import { DeckhandError, type ErrorCode } from '../../errors.js';
import { ProviderError } from '../../providers/index.js';

/** Provider errors keep their code and hint; everything else passes through unchanged. */
export function asDeckhandError(err: unknown): unknown {
  if (err instanceof DeckhandError || !(err instanceof ProviderError)) return err;
  const problem = err.message.endsWith(err.hint) ? err.message.slice(0, -err.hint.length).trim() : err.message;
  return new DeckhandError(err.code, problem, { hint: err.hint, cause: err });
}

export function errorText(err: unknown): string {
  const e = asDeckhandError(err);
  if (e instanceof DeckhandError) return e.userMessage;
  return e instanceof Error ? e.message : String(e);
}

export function errorCode(err: unknown): ErrorCode {
  const e = asDeckhandError(err);
  return e instanceof DeckhandError ? e.code : 'internal_error';
}
