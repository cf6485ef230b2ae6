/** Faults a test can inject into the fake; each fires `times` times (default once), then is spent. */
export type Fault =
  | {
      kind: 'status';
      /** Matches any method when absent. */
      method?: string;
      /** Path below /v1 without the query, e.g. '/servers' or /^\/actions\/\d+$/; any path when absent. */
      path?: string | RegExp;
      status: 409 | 423 | 429 | 500 | 502 | 503 | 504;
      /** Defaults to the code Hetzner uses for the status. */
      code?: string;
      message?: string;
      /** Extra response headers, e.g. Retry-After or RateLimit-Reset for a 429. */
      headers?: Record<string, string>;
      times?: number;
    }
  /** The server IS created, then the socket is destroyed before any response is written. */
  | { kind: 'reset-after-create'; times?: number }
  /** The request is never answered (until the fake closes): a client-side timeout. */
  | { kind: 'stall'; method?: string; path?: string | RegExp; times?: number }
  /** The next action with this command (default create_server) ends in status error. */
  | { kind: 'action-error'; command?: string; error?: { code: string; message: string }; times?: number };

export interface InjectedFault {
  readonly fault: Fault;
  /** How many times it fired so far; lets a test prove the fault really happened. */
  readonly hits: number;
  readonly remaining: number;
}

const DEFAULT_CODES: Record<number, string> = {
  409: 'conflict',
  423: 'locked',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  502: 'server_error',
  503: 'unavailable',
  504: 'timeout',
};

export function defaultCode(status: number): string {
  return DEFAULT_CODES[status] ?? 'server_error';
}

class Entry implements InjectedFault {
  hits = 0;
  remaining: number;
  constructor(readonly fault: Fault) {
    this.remaining = fault.times ?? 1;
  }
}

function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

export class FaultBook {
  #entries: Entry[] = [];

  inject(fault: Fault): InjectedFault {
    const entry = new Entry(fault);
    this.#entries.push(entry);
    return entry;
  }

  /** The first live status or stall fault for this request, consumed by one use. */
  takeRequestFault(method: string, path: string): Extract<Fault, { kind: 'status' | 'stall' }> | undefined {
    const f = this.#take(
      (x) =>
        (x.kind === 'status' || x.kind === 'stall') &&
        (x.method === undefined || x.method.toUpperCase() === method) &&
        pathMatches(x.path, path),
    );
    return f?.kind === 'status' || f?.kind === 'stall' ? f : undefined;
  }

  /** Asked by the create route once the server exists. */
  takeResetAfterCreate(): boolean {
    return this.#take((x) => x.kind === 'reset-after-create') !== undefined;
  }

  takeActionFault(command: string): Extract<Fault, { kind: 'action-error' }> | undefined {
    const f = this.#take((x) => x.kind === 'action-error' && (x.command ?? 'create_server') === command);
    return f?.kind === 'action-error' ? f : undefined;
  }

  #take(pred: (f: Fault) => boolean): Fault | undefined {
    const entry = this.#entries.find((e) => e.remaining > 0 && pred(e.fault));
    if (!entry) return undefined;
    entry.remaining--;
    entry.hits++;
    return entry.fault;
  }
}
