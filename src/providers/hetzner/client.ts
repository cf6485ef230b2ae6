import { z } from 'zod';
import type { ProviderError } from '../errors.js';
import { abortableSleep } from '../sleep.js';
import type { ProviderEventListener } from '../types.js';
import { apiError, invalidResponseError, malformedTokenError, missingTokenError, networkError } from './errors.js';
import { errorBodySchema, metaSchema } from './schemas.js';
import { backoff } from '../../timing.js';

export const DEFAULT_HETZNER_ENDPOINT = 'https://api.hetzner.cloud/v1';

export interface HetznerConfig {
  token?: string;
  endpoint: string;
}

/** Reads the same variables as the `hcloud` CLI; pure, so the entry file owns `process.env`. */
export function hetznerConfigFromEnv(env: Readonly<Record<string, string | undefined>>): HetznerConfig {
  const token = (env.HCLOUD_TOKEN || env.HETZNER_TOKEN || '').trim();
  const endpoint = (env.HCLOUD_ENDPOINT || '').trim().replace(/\/+$/, '') || DEFAULT_HETZNER_ENDPOINT;
  return token ? { token, endpoint } : { endpoint };
}

export interface RetryOptions {
  /** First backoff delay, doubled on every retry (default 1000 ms; tests pass a few ms). */
  baseDelayMs?: number;
  /** Upper bound for any single wait, including waits asked for by rate-limit headers (default 60 s). */
  maxDelayMs?: number;
  /** Total attempts including the first (default 5). */
  maxAttempts?: number;
}

export interface HetznerClientOptions extends Partial<HetznerConfig> {
  retry?: RetryOptions;
  /** Per-attempt time limit (default 30 s); a timed-out attempt counts as a network error. */
  requestTimeoutMs?: number;
  onEvent?: ProviderEventListener;
  /** Jitter source, injectable for deterministic tests. */
  random?: () => number;
}

type Query = Record<string, string | number | undefined>;

export interface RequestSpec<T> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  /** Completes "Hetzner Cloud refused to ..." in messages. */
  what: string;
  signal?: AbortSignal;
  /**
   * Set for requests that must not be repeated when their outcome is unknown (POST /servers): network
   * failures and 5xx answers are then not retried but turned into the error this returns.
   */
  onOutcomeUnknown?: (cause: ProviderError) => Error;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: ProviderError; retryable: boolean; waitMs?: number };

const RETRYABLE_STATUS = new Set([429, 502, 504]);

export class HetznerClient {
  readonly endpoint: string;
  readonly #token: string | undefined;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #onEvent: ProviderEventListener | undefined;
  readonly #random: () => number;

  constructor(opts: HetznerClientOptions = {}) {
    this.endpoint = (opts.endpoint ?? DEFAULT_HETZNER_ENDPOINT).replace(/\/+$/, '');
    this.#token = opts.token;
    this.#baseDelayMs = opts.retry?.baseDelayMs ?? 1000;
    this.#maxDelayMs = opts.retry?.maxDelayMs ?? 60_000;
    this.#maxAttempts = Math.max(1, opts.retry?.maxAttempts ?? 5);
    this.#timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.#onEvent = opts.onEvent;
    this.#random = opts.random ?? Math.random;
  }

  async request<T>(spec: RequestSpec<T>): Promise<T> {
    if (!this.#token) throw missingTokenError();
    // fetch would reject such a header as a TypeError, which would look like a network error and be retried.
    if (!/^[\x21-\x7e]+$/.test(this.#token)) throw malformedTokenError();
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt(spec);
      if (result.ok) return result.value;
      if (!result.retryable || attempt >= this.#maxAttempts) throw result.error;
      const delayMs = this.#delayFor(attempt, result.waitMs);
      try {
        this.#onEvent?.({
          type: 'retry',
          method: spec.method,
          path: spec.path,
          attempt,
          delayMs,
          reason: result.error.message,
        });
      } catch {
        // A failing listener (say, a closed log) must not change the outcome of the request.
      }
      await abortableSleep(delayMs, spec.signal);
    }
  }

  /** Fetches every page (50 per request, the API's maximum) of a list endpoint. */
  async listAll<T>(
    spec: Omit<RequestSpec<unknown>, 'schema' | 'method'> & { key: string; item: z.ZodType<T, z.ZodTypeDef, unknown> },
  ): Promise<T[]> {
    // Lists name their array after the resource ("servers", "ssh_keys"): lift it to a fixed key first.
    const pageSchema = z.preprocess(
      (raw) => (isRecord(raw) ? { items: raw[spec.key], meta: raw.meta } : raw),
      z.object({ items: z.array(spec.item), meta: metaSchema }),
    );
    const items: T[] = [];
    for (let page: number | null = 1; page !== null;) {
      const body: { items: T[]; meta: z.infer<typeof metaSchema> } = await this.request({
        ...spec,
        method: 'GET',
        query: { ...spec.query, page, per_page: 50 },
        schema: pageSchema,
      });
      items.push(...body.items);
      const next: number | null = body.meta.pagination.next_page;
      // A next page that does not advance would loop forever against a misbehaving API.
      page = next !== null && next > page ? next : null;
    }
    return items;
  }

  #delayFor(attempt: number, waitMs: number | undefined): number {
    if (waitMs !== undefined && waitMs > 0) return Math.min(waitMs, this.#maxDelayMs);
    // Half fixed, half random: spreads concurrent retries without ever retrying immediately.
    return backoff(attempt, { base: this.#baseDelayMs, max: this.#maxDelayMs, jitter: 0.5, random: this.#random });
  }

  async #attempt<T>(spec: RequestSpec<T>): Promise<Attempt<T>> {
    const url = new URL(this.endpoint + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;

    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method: spec.method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json',
          ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal,
      });
      text = await res.text();
    } catch (err) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      const error = networkError(spec.what, err, timeout.aborted);
      if (spec.onOutcomeUnknown) throw spec.onOutcomeUnknown(error);
      return { ok: false, error, retryable: true };
    }

    const json = parseJson(text);
    if (res.ok) {
      const parsed = spec.schema.safeParse(json);
      if (parsed.success) return { ok: true, value: parsed.data };
      const error = invalidResponseError(spec.what, res.status, parsed.error);
      // The request did take effect; only its answer is unreadable, so the caller must look before repeating.
      throw spec.onOutcomeUnknown ? spec.onOutcomeUnknown(error) : error;
    }

    const body = errorBodySchema.safeParse(json);
    const error = apiError(spec.what, res.status, body.success ? body.data.error : undefined);
    if (spec.onOutcomeUnknown && res.status >= 500) throw spec.onOutcomeUnknown(error);
    // 409 uniqueness_error is final; only the transient "conflict" flavour of 409 is worth repeating.
    const retryable = RETRYABLE_STATUS.has(res.status) || (res.status === 409 && error.apiCode === 'conflict');
    return { ok: false, error, retryable, waitMs: res.status === 429 ? rateLimitWaitMs(res.headers) : undefined };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * How long a 429 asks us to wait: Retry-After (seconds or HTTP date) when present, else until
 * RateLimit-Reset (a UNIX timestamp in seconds). Undefined when neither is usable.
 */
export function rateLimitWaitMs(headers: Headers, now = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = Number(headers.get('ratelimit-reset') ?? NaN);
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}
