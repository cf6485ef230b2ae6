import { afterEach, beforeEach, expect } from 'vitest';
import { HetznerProvider, type HetznerProviderOptions } from '../../src/providers/hetzner/hetzner-provider.js';
import type { ProviderEvent } from '../../src/providers/types.js';
import { startFakeHetzner, type FakeHetzner, type FakeHetznerOptions } from '../helpers/fake-hetzner/index.js';
import { checkAgainstSpec, OpenApiChecker } from '../helpers/fake-hetzner/openapi-check.js';

let checker: OpenApiChecker | undefined;

/** One compiled checker per test file: reading and compiling the 3 MB description is the slow part. */
export function specChecker(): OpenApiChecker {
  checker ??= new OpenApiChecker();
  return checker;
}

/**
 * A fresh fake per test. After each test every exchange it recorded is checked against the OpenAPI
 * description, so each provider test doubles as a drift check of the fake.
 */
export function useFakeHetzner(opts: FakeHetznerOptions = {}): () => FakeHetzner {
  let fake: FakeHetzner | undefined;
  beforeEach(async () => {
    fake = await startFakeHetzner(opts);
  });
  afterEach(async () => {
    if (!fake) return;
    const current = fake;
    fake = undefined;
    await current.close();
    expect(current.state.internalErrors).toEqual([]);
    expect(checkAgainstSpec(specChecker(), current.state.responses)).toEqual([]);
  });
  return () => {
    if (!fake) throw new Error('useFakeHetzner: no fake outside a test');
    return fake;
  };
}

/** A provider wired to the fake with test-speed timings; `events` collects its retry notices. */
export function providerFor(
  fake: FakeHetzner,
  overrides: HetznerProviderOptions = {},
): { provider: HetznerProvider; events: ProviderEvent[] } {
  const events: ProviderEvent[] = [];
  const provider = new HetznerProvider({
    endpoint: fake.url,
    token: fake.token,
    retry: { baseDelayMs: 5 },
    pollIntervalMs: 10,
    requestTimeoutMs: 2000,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { provider, events };
}

/** Requests the fake answered for a method and path (below /v1), in order. */
export function hits(fake: FakeHetzner, method: string, path: string | RegExp) {
  return fake.state.responses.filter(
    (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
  );
}
