import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CreateOutcomeUnknownError, ProviderError } from '../../src/providers/errors.js';
import { HetznerProvider } from '../../src/providers/hetzner/hetzner-provider.js';
import type { CreateServerSpec } from '../../src/providers/types.js';
import { hits, providerFor, useFakeHetzner } from './fixtures.js';

const spec: CreateServerSpec = {
  name: 'web-1',
  serverType: 'cx23',
  image: 'debian-12',
  labels: { 'managed-by': 'deckhand' },
  sshKeyIds: [],
};

describe('retries', () => {
  const fake = useFakeHetzner({ actionDurationMs: 0 });

  it('waits out a 429 for as long as Retry-After says', async () => {
    fake().inject({ kind: 'status', path: '/locations', status: 429, headers: { 'Retry-After': '1' } });
    const { provider, events } = providerFor(fake());
    const started = Date.now();
    expect(await provider.listLocations()).toHaveLength(6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(events).toMatchObject([{ type: 'retry', method: 'GET', path: '/locations', attempt: 1, delayMs: 1000 }]);
    expect(events[0]?.reason).toMatch(/rate_limit_exceeded, HTTP 429/);
    expect(hits(fake(), 'GET', '/locations').map((r) => r.status)).toEqual([429, 200]);
  });

  it('waits until RateLimit-Reset, capped by the maximum delay', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 3600;
    fake().inject({
      kind: 'status',
      path: '/locations',
      status: 429,
      headers: { 'RateLimit-Remaining': '0', 'RateLimit-Reset': String(reset) },
    });
    const { provider, events } = providerFor(fake(), { retry: { baseDelayMs: 5, maxDelayMs: 250 } });
    await provider.listLocations();
    // The header asks for an hour; the cap (60 s by default) bounds it. Far above the 5 ms backoff either way.
    expect(events.map((e) => e.delayMs)).toEqual([250]);
  });

  it('rides out an exhausted rate-limit bucket using the fake’s own headers', async () => {
    const f = fake();
    f.state.rate.limit = 1;
    f.state.rate.remaining = 1;
    f.state.rate.refillPerSecond = 2;
    const { provider, events } = providerFor(f);
    await provider.listLocations();
    await provider.listLocations();
    expect(hits(f, 'GET', '/locations').map((r) => r.status)).toEqual([200, 429, 200]);
    expect(events).toHaveLength(1);
    expect(events[0]!.delayMs).toBeGreaterThan(5);
    expect(events[0]!.delayMs).toBeLessThanOrEqual(2000);
  });

  it.each([502, 504] as const)('retries a %i with exponential backoff', async (status) => {
    fake().inject({ kind: 'status', path: '/server_types', status, times: 2 });
    const { provider, events } = providerFor(fake(), { random: () => 1 });
    expect((await provider.listServerTypes()).length).toBeGreaterThan(0);
    expect(events.map((e) => e.delayMs)).toEqual([5, 10]);
    expect(hits(fake(), 'GET', '/server_types').map((r) => r.status)).toEqual([status, status, 200]);
  });

  it('retries a 409 conflict', async () => {
    const server = fake().state.addServer({ name: 'x', labels: { 'managed-by': 'deckhand' } });
    fake().inject({ kind: 'status', method: 'DELETE', path: `/servers/${server.id}`, status: 409 });
    const { provider, events } = providerFor(fake());
    const action = await provider.deleteServer(String(server.id));
    expect(action.command).toBe('delete_server');
    expect(events).toHaveLength(1);
    expect(hits(fake(), 'DELETE', /^\/servers\//).map((r) => r.status)).toEqual([409, 200]);
  });

  it('gives up after 5 attempts, doubling the delay up to the cap, and throws the last error', async () => {
    fake().inject({ kind: 'status', path: '/locations', status: 502, times: 10 });
    const { provider, events } = providerFor(fake(), { random: () => 1, retry: { baseDelayMs: 5, maxDelayMs: 12 } });
    const err = await provider.listLocations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'server_error', status: 502 });
    expect(events.map((e) => e.delayMs)).toEqual([5, 10, 12, 12]);
    expect(hits(fake(), 'GET', '/locations')).toHaveLength(5);
  });

  it('adds jitter: the delay lies between half and all of the exponential step', async () => {
    fake().inject({ kind: 'status', path: '/locations', status: 504, times: 2 });
    const { provider, events } = providerFor(fake(), { random: () => 0, retry: { baseDelayMs: 40 } });
    await provider.listLocations();
    expect(events.map((e) => e.delayMs)).toEqual([20, 40]);
  });

  it('retries a request that timed out', async () => {
    fake().inject({ kind: 'stall', path: '/locations' });
    const { provider, events } = providerFor(fake(), { requestTimeoutMs: 150 });
    expect(await provider.listLocations()).toHaveLength(6);
    expect(events).toHaveLength(1);
    expect(events[0]!.reason).toMatch(/timed out/);
  });

  it('retries refused connections, then reports a network error', async () => {
    const port = await freePort();
    const events: unknown[] = [];
    const provider = new HetznerProvider({
      endpoint: `http://127.0.0.1:${port}/v1`,
      token: 't',
      retry: { baseDelayMs: 2, maxAttempts: 3 },
      onEvent: (e) => events.push(e),
    });
    const err = await provider.listLocations().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network_error' });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).toMatch(/HCLOUD_ENDPOINT/);
    expect(events).toHaveLength(2);
  });

  it('stops waiting when the caller aborts, with the abort reason', async () => {
    fake().inject({ kind: 'status', path: '/locations', status: 429, headers: { 'Retry-After': '30' } });
    const { provider } = providerFor(fake());
    const controller = new AbortController();
    const reason = new Error('cancelled by user');
    setTimeout(() => controller.abort(reason), 50);
    const started = Date.now();
    await expect(provider.listLocations({ signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('POST /servers is never repeated blindly', () => {
  const fake = useFakeHetzner({ actionDurationMs: 0 });

  it.each([502, 504, 500] as const)('a %i on create means the outcome is unknown', async (status) => {
    fake().inject({ kind: 'status', method: 'POST', path: '/servers', status });
    const { provider, events } = providerFor(fake());
    const err = await provider.createServer(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreateOutcomeUnknownError);
    expect(err).toMatchObject({ code: 'create_outcome_unknown', serverName: 'web-1' });
    expect((err as Error & { cause: unknown }).cause).toMatchObject({ status });
    expect(events).toEqual([]);
    expect(hits(fake(), 'POST', '/servers')).toHaveLength(1);
  });

  it('a connection reset after the create is an unknown outcome, and the server does exist', async () => {
    const injected = fake().inject({ kind: 'reset-after-create' });
    const { provider, events } = providerFor(fake());
    const err = await provider.createServer(spec).catch((e: unknown) => e);
    expect(injected.hits).toBe(1);
    expect(err).toBeInstanceOf(CreateOutcomeUnknownError);
    expect(events).toEqual([]);
    expect(fake().state.servers.size).toBe(1);
    expect(hits(fake(), 'POST', '/servers').map((r) => r.status)).toEqual([0]);
  });

  it('a create that times out is an unknown outcome', async () => {
    fake().inject({ kind: 'stall', method: 'POST', path: '/servers' });
    const { provider } = providerFor(fake(), { requestTimeoutMs: 150 });
    const err = await provider.createServer(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreateOutcomeUnknownError);
    expect((err as Error & { cause: unknown }).cause).toMatchObject({ code: 'timeout' });
  });

  it('a 429 or a 409 conflict on create is retried: the API did not process it', async () => {
    fake().inject({ kind: 'status', method: 'POST', path: '/servers', status: 429, headers: { 'Retry-After': '0' } });
    fake().inject({ kind: 'status', method: 'POST', path: '/servers', status: 409 });
    const { provider, events } = providerFor(fake());
    const created = await provider.createServer(spec);
    expect(created.server.name).toBe('web-1');
    expect(events).toHaveLength(2);
    expect(fake().state.servers.size).toBe(1);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
