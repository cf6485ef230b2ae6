/**
 * Typed errors. Every error a user can meet carries a stable `code` and a `hint` that says what to do,
 * so tool results can answer "what was wrong, what to do" without string matching.
 */
export class DeckhandError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeckhandError';
    this.code = code;
    this.hint = options.hint;
  }

  /** The message followed by the hint, as shown to users and models. */
  get userMessage(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export class ValidationError extends DeckhandError {
  constructor(message: string, hint?: string) {
    super('invalid_argument', message, hint === undefined ? {} : { hint });
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends DeckhandError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, hint === undefined ? {} : { hint });
    this.name = 'NotFoundError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof DeckhandError) return err.userMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}
