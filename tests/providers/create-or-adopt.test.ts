import { describe, expect, it } from 'vitest';
import { createOrAdoptServer, MANAGED_BY_LABEL } from '../../src/providers/create-or-adopt.js';
import { CreateOutcomeUnknownError } from '../../src/providers/errors.js';
import type { CreateServerSpec } from '../../src/providers/types.js';
import { hits, providerFor, useFakeHetzner } from './fixtures.js';

const spec: CreateServerSpec = {
  name: 'web-1',
  serverType: 'cx23',
  location: 'nbg1',
  image: 'debian-12',
  labels: { app: 'blog' },
  sshKeyIds: [],
};

describe('createOrAdoptServer', () => {
  const fake = useFakeHetzner({ actionDurationMs: 20 });

  it('creates with the managed-by label and returns the actions to wait for', async () => {
    const { provider } = providerFor(fake());
    const result = await createOrAdoptServer(provider, spec);
    expect(result.adopted).toBe(false);
    expect(result.actions.map((a) => a.command)).toEqual(['create_server', 'start_server']);
    expect(result.server.labels).toEqual({ app: 'blog', [MANAGED_BY_LABEL.key]: MANAGED_BY_LABEL.value });
    expect([...fake().state.servers.values()].map((s) => s.labels)).toEqual([result.server.labels]);
  });

  it('a repeated call adopts the server instead of creating a second one', async () => {
    const { provider } = providerFor(fake());
    const first = await createOrAdoptServer(provider, spec);
    const second = await createOrAdoptServer(provider, spec);
    expect(second).toMatchObject({ adopted: true, actions: [], server: { id: first.server.id } });
    expect(fake().state.servers.size).toBe(1);
    expect(hits(fake(), 'POST', '/servers')).toHaveLength(1);
  });

  it('after a connection reset right after the create, adopts the server that was created: one server, one POST', async () => {
    const injected = fake().inject({ kind: 'reset-after-create' });
    const { provider, events } = providerFor(fake());
    const result = await createOrAdoptServer(provider, spec, { lookupDelayMs: 5 });
    expect(injected.hits).toBe(1);
    expect(result.adopted).toBe(true);
    expect(result.server).toMatchObject({ name: 'web-1', location: 'nbg1', labels: { 'managed-by': 'deckhand' } });
    expect(fake().state.servers.size).toBe(1);
    expect([...fake().state.servers.keys()]).toEqual([Number(result.server.id)]);
    expect(hits(fake(), 'POST', '/servers').map((r) => r.status)).toEqual([0]);
    expect(events).toEqual([]);
  });

  it('refuses a same-named server that deckhand did not create, without sending a create', async () => {
    fake().state.addServer({ name: 'web-1', labels: { owner: 'someone-else' } });
    const { provider } = providerFor(fake());
    const err = await createOrAdoptServer(provider, spec).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'name_taken' });
    expect((err as Error).message).toMatch(/already exists at hetzner and was not created by deckhand/);
    expect((err as Error).message).toMatch(/Choose another name/);
    expect(hits(fake(), 'POST', '/servers')).toHaveLength(0);
    expect(fake().state.servers.size).toBe(1);
  });

  it('when the outcome was unknown and no server appeared, says a retry is safe, without creating again', async () => {
    fake().inject({ kind: 'status', method: 'POST', path: '/servers', status: 502 });
    const { provider } = providerFor(fake());
    const err = await createOrAdoptServer(provider, spec, { lookupAttempts: 2, lookupDelayMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'create_failed' });
    expect((err as Error).message).toMatch(/running the same request again is safe/);
    expect((err as Error & { cause: unknown }).cause).toBeInstanceOf(CreateOutcomeUnknownError);
    expect(hits(fake(), 'POST', '/servers')).toHaveLength(1);
    expect(hits(fake(), 'GET', '/servers')).toHaveLength(3);
    expect(fake().state.servers.size).toBe(0);
  });

  it('passes other create errors through unchanged', async () => {
    const { provider } = providerFor(fake());
    const err = await createOrAdoptServer(provider, { ...spec, serverType: 'cx99' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unknown_server_type' });
    expect(fake().state.servers.size).toBe(0);
  });
});
