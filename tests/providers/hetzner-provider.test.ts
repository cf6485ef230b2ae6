import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { ActionFailedError, ProviderError } from '../../src/providers/errors.js';
import { DEFAULT_HETZNER_ENDPOINT, hetznerConfigFromEnv } from '../../src/providers/hetzner/client.js';
import { HetznerProvider } from '../../src/providers/hetzner/hetzner-provider.js';
import { md5Fingerprint } from '../../src/providers/ssh-key-fingerprint.js';
import type { CreateServerSpec } from '../../src/providers/types.js';
import { hits, providerFor, useFakeHetzner } from './fixtures.js';

const spec = (over: Partial<CreateServerSpec> = {}): CreateServerSpec => ({
  name: 'web-1',
  serverType: 'cx23',
  location: 'fsn1',
  image: 'debian-12',
  labels: { 'managed-by': 'deckhand' },
  sshKeyIds: [],
  ...over,
});

describe('hetznerConfigFromEnv', () => {
  it('reads HCLOUD_TOKEN, falls back to HETZNER_TOKEN, and defaults the endpoint', () => {
    expect(hetznerConfigFromEnv({})).toEqual({ endpoint: DEFAULT_HETZNER_ENDPOINT });
    expect(hetznerConfigFromEnv({ HETZNER_TOKEN: 'b' })).toEqual({ token: 'b', endpoint: DEFAULT_HETZNER_ENDPOINT });
    expect(hetznerConfigFromEnv({ HCLOUD_TOKEN: 'a', HETZNER_TOKEN: 'b' }).token).toBe('a');
    expect(hetznerConfigFromEnv({ HCLOUD_ENDPOINT: 'http://127.0.0.1:9/v1/' }).endpoint).toBe('http://127.0.0.1:9/v1');
    expect(hetznerConfigFromEnv({ HCLOUD_TOKEN: '  ' })).toEqual({ endpoint: DEFAULT_HETZNER_ENDPOINT });
  });

  it('a provider without a token fails with a hint naming HCLOUD_TOKEN, before any request', async () => {
    const provider = new HetznerProvider({ endpoint: 'http://127.0.0.1:9/v1' });
    const err = await provider.listLocations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'missing_token' });
    expect((err as Error).message).toMatch(/set HCLOUD_TOKEN/i);
  });
});

describe('HetznerProvider against the fake API', () => {
  const fake = useFakeHetzner({
    actionDurationMs: 60,
    ipForServer: (name) => (name === 'web-1' ? '127.0.0.7' : '127.0.0.1'),
  });

  it('creates, waits for the actions, gets, lists and deletes a server', async () => {
    const { provider } = providerFor(fake());
    const created = await provider.createServer(spec({ labels: { 'managed-by': 'deckhand', app: 'blog' } }));
    expect(created.server).toMatchObject({
      name: 'web-1',
      status: 'initializing',
      ipv4: '127.0.0.7',
      serverType: 'cx23',
      location: 'fsn1',
      labels: { 'managed-by': 'deckhand', app: 'blog' },
    });
    expect(created.server.priceMonthly).toEqual({ net: 3.49, gross: expect.closeTo(4.1531, 4), currency: 'EUR' });
    expect(created.actions.map((a) => a.command)).toEqual(['create_server', 'start_server']);
    expect(created.actions.every((a) => a.status === 'running')).toBe(true);

    const progress: number[] = [];
    for (const action of created.actions) {
      const done = await provider.waitForAction(action.id, { onProgress: (p) => progress.push(p) });
      expect(done).toMatchObject({ id: action.id, status: 'success', progress: 100 });
    }
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const got = await provider.getServer(created.server.id);
    expect(got).toMatchObject({ id: created.server.id, status: 'running' });
    expect(await provider.findServerByName('web-1')).toMatchObject({ id: created.server.id });
    expect(await provider.findServerByName('web')).toBeNull();
    expect((await provider.listServers()).map((s) => s.name)).toEqual(['web-1']);

    // The deletion runs until the test has looked at it: no race with the fake's 60 ms on a loaded machine.
    fake().state.actionDurationMs = 60_000;
    const deletion = await provider.deleteServer(created.server.id);
    expect(deletion).toMatchObject({ command: 'delete_server', status: 'running' });
    expect((await provider.getServer(created.server.id))?.status).toBe('deleting');
    fake().state.actionDurationMs = 0;
    await provider.waitForAction(deletion.id);
    expect(await provider.getServer(created.server.id)).toBeNull();
    expect(fake().state.servers.size).toBe(0);
  });

  it('getServer answers null for unknown or malformed ids', async () => {
    const { provider } = providerFor(fake());
    expect(await provider.getServer('999999')).toBeNull();
    expect(await provider.getServer('not-a-number')).toBeNull();
    await expect(provider.deleteServer('999999')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('a failing action rejects waitForAction with a typed error carrying the API error', async () => {
    const injected = fake().inject({
      kind: 'action-error',
      command: 'create_server',
      error: { code: 'server_error', message: 'host unavailable' },
    });
    const { provider } = providerFor(fake());
    const created = await provider.createServer(spec());
    const err = await provider.waitForAction(created.actions[0]!.id).catch((e: unknown) => e);
    expect(injected.hits).toBe(1);
    expect(err).toBeInstanceOf(ActionFailedError);
    expect(err).toMatchObject({ code: 'action_failed', apiCode: 'server_error', command: 'create_server' });
    expect((err as Error).message).toContain('host unavailable');
  });

  it('waitForAction stops when its signal aborts, with the signal reason', async () => {
    fake().state.actionDurationMs = 60_000;
    const { provider } = providerFor(fake());
    const created = await provider.createServer(spec());
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const pending = provider.waitForAction(created.actions[0]!.id, {
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await expect(pending).rejects.toBe(reason);
  });

  it('follows pagination across more than 50 servers and filters by label selector', async () => {
    const state = fake().state;
    for (let i = 0; i < 57; i++) {
      state.addServer({
        name: `node-${i}`,
        labels: i % 3 === 0 ? { role: 'db', 'managed-by': 'deckhand' } : { role: 'web' },
      });
    }
    state.addServer({ name: 'bare' });
    const { provider } = providerFor(fake());
    const all = await provider.listServers();
    expect(all).toHaveLength(58);
    expect(new Set(all.map((s) => s.id)).size).toBe(58);
    expect(hits(fake(), 'GET', '/servers').map((r) => r.query)).toEqual(['?page=1&per_page=50', '?page=2&per_page=50']);

    expect(await provider.listServers({ labelSelector: 'role=db' })).toHaveLength(19);
    expect(await provider.listServers({ labelSelector: 'role!=db' })).toHaveLength(39);
    expect(await provider.listServers({ labelSelector: 'role' })).toHaveLength(57);
    expect(await provider.listServers({ labelSelector: '!role' })).toHaveLength(1);
    expect(await provider.listServers({ labelSelector: 'role=web,managed-by' })).toHaveLength(0);
    expect(await provider.listServers({ labelSelector: 'role=db,managed-by=deckhand' })).toHaveLength(19);
    expect(await provider.listServers({ labelSelector: 'role in (db,web)' })).toHaveLength(57);
    // As in Kubernetes, notin and != also match servers without the key.
    expect(await provider.listServers({ labelSelector: 'role notin (db)' })).toHaveLength(39);
  });

  it('ensureSshKey registers once, then finds the key by fingerprint', async () => {
    const { provider } = providerFor(fake());
    const publicKey = utils.generateKeyPairSync('ed25519', { comment: 'me@laptop' }).public;
    const first = await provider.ensureSshKey({ name: 'deckhand', publicKey });
    const second = await provider.ensureSshKey({ name: 'deckhand', publicKey });
    expect(second).toEqual(first);
    expect(first.fingerprint).toBe(md5Fingerprint(publicKey));
    expect(fake().state.sshKeys.size).toBe(1);
    expect(hits(fake(), 'POST', '/ssh_keys')).toHaveLength(1);
  });

  it('ensureSshKey adopts a key that appears between its lookup and its create (409)', async () => {
    const f = fake();
    const publicKey = utils.generateKeyPairSync('ed25519').public;
    const fingerprint = md5Fingerprint(publicKey);
    // Another client registers the same key after deckhand's lookup, just before its create arrives.
    f.state.beforeRoute = (method, path) => {
      if (method === 'POST' && path === '/ssh_keys' && f.state.sshKeys.size === 0) {
        f.state.addSshKey({ name: 'from-elsewhere', publicKey, fingerprint });
      }
    };
    const { provider } = providerFor(f);
    const key = await provider.ensureSshKey({ name: 'deckhand', publicKey });
    const original = [...f.state.sshKeys.values()][0]!;
    expect(key).toEqual({ id: String(original.id), name: 'from-elsewhere', fingerprint });
    expect(hits(f, 'POST', '/ssh_keys').map((r) => r.status)).toEqual([409]);
    expect(hits(f, 'GET', '/ssh_keys')).toHaveLength(2);
    expect(f.state.sshKeys.size).toBe(1);
  });

  it('ensureSshKey explains a name taken by a different key', async () => {
    const { provider } = providerFor(fake());
    await provider.ensureSshKey({ name: 'deckhand', publicKey: utils.generateKeyPairSync('ed25519').public });
    const err = await provider
      .ensureSshKey({ name: 'deckhand', publicKey: utils.generateKeyPairSync('ed25519').public })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'name_taken', status: 409 });
    expect((err as Error).message).toMatch(/choose another key name/i);
  });

  it('lists the catalogue with monthly prices per location', async () => {
    const { provider } = providerFor(fake());
    const types = await provider.listServerTypes();
    const cpx22 = types.find((t) => t.name === 'cpx22');
    expect(cpx22).toMatchObject({ cores: 2, memoryGb: 4, diskGb: 80, architecture: 'x86', cpuType: 'shared' });
    expect(cpx22?.prices.find((p) => p.location === 'fsn1')?.monthly).toEqual({
      net: 6.49,
      gross: expect.closeTo(7.7231, 4),
      currency: 'EUR',
    });
    expect(cpx22?.availableLocations).not.toContain('sin');
    expect(types.find((t) => t.name === 'cx22')?.deprecated).toBe(true);
    const locations = await provider.listLocations();
    expect(locations.map((l) => l.name)).toEqual(['fsn1', 'nbg1', 'hel1', 'ash', 'hil', 'sin']);
    expect(locations[0]).toEqual({
      name: 'fsn1',
      description: 'Falkenstein DC Park 1',
      city: 'Falkenstein',
      country: 'DE',
      networkZone: 'eu-central',
    });
    const images = await provider.listImages();
    expect(
      images
        .filter((i) => i.name === 'debian-12')
        .map((i) => i.architecture)
        .sort(),
    ).toEqual(['arm', 'x86']);
  });
});
