import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CreateOutcomeUnknownError, ProviderError } from '../../src/providers/errors.js';
import { HetznerProvider } from '../../src/providers/hetzner/hetzner-provider.js';
import type { CreateServerSpec } from '../../src/providers/types.js';
import { hits, providerFor, useFakeHetzner } from './fixtures.js';

const spec = (over: Partial<CreateServerSpec> = {}): CreateServerSpec => ({
  name: 'web-1',
  serverType: 'cx23',
  location: 'fsn1',
  image: 'debian-12',
  labels: {},
  sshKeyIds: [],
  ...over,
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('Hetzner errors say what to change', () => {
  const fake = useFakeHetzner({ actionDurationMs: 0 });

  it('a rejected token', async () => {
    const { provider } = providerFor(fake(), { token: 'not-a-real-token' });
    const err = await failure(provider.listServers());
    expect(err).toMatchObject({ code: 'unauthorized', status: 401, apiCode: 'unauthorized' });
    expect(err.message).toMatch(/set HCLOUD_TOKEN to a valid token/);
  });

  it('a read-only token reads but cannot create, and is told to use a Read & Write token', async () => {
    const { provider } = providerFor(fake(), { token: fake().readOnlyToken });
    expect(await provider.listServers()).toEqual([]);
    const err = await failure(provider.createServer(spec()));
    expect(err).toMatchObject({ code: 'token_readonly', status: 401 });
    expect(err.message).toMatch(/Read & Write token/);
    expect(fake().state.servers.size).toBe(0);
  });

  it('an unknown server type lists the valid, non-deprecated choices', async () => {
    const { provider } = providerFor(fake());
    const err = await failure(provider.createServer(spec({ serverType: 'cx99' })));
    expect(err.code).toBe('unknown_server_type');
    expect(err.message).toContain('Unknown server type "cx99"');
    expect(err.hint).toBe('Set server_type to one of: cax11, ccx13, cpx22, cpx32, cx23');
    expect(err.cause).toMatchObject({ code: 'invalid_input', status: 422 });
  });

  it('an unknown image lists the system images', async () => {
    const { provider } = providerFor(fake());
    const err = await failure(provider.createServer(spec({ image: 'windows-11' })));
    expect(err.code).toBe('unknown_image');
    expect(err.hint).toBe('Set image to one of: debian-12, debian-13, ubuntu-22.04, ubuntu-24.04');
  });

  it('an unknown location lists the locations with their cities', async () => {
    const { provider } = providerFor(fake());
    const err = await failure(provider.createServer(spec({ location: 'mars1' })));
    expect(err.code).toBe('unknown_location');
    expect(err.hint).toContain('fsn1 (Falkenstein)');
    expect(err.hint).toContain('ash (Ashburn, VA)');
  });

  it('a type never offered in a location names where it is offered and what is offered there', async () => {
    const { provider } = providerFor(fake());
    const err = await failure(provider.createServer(spec({ serverType: 'cax11', location: 'ash' })));
    expect(err).toMatchObject({ code: 'resource_unavailable', status: 422, apiCode: 'invalid_input' });
    expect(err.message).toContain('Server type "cax11" cannot be ordered in location "ash"');
    expect(err.hint).toBe(
      'Either choose a location where cax11 is available (fsn1, hel1, nbg1), or a type available in ash (ccx13, cpx22, cpx32)',
    );
  });

  it('a type sold out in a location (412) gets the same guidance', async () => {
    const { provider } = providerFor(fake());
    const err = await failure(provider.createServer(spec({ serverType: 'cpx22', location: 'sin' })));
    expect(err).toMatchObject({ code: 'resource_unavailable', status: 412, apiCode: 'resource_unavailable' });
    expect(err.hint).toMatch(/^Either choose a location where cpx22 is available \(ash, fsn1, hel1, hil, nbg1\)/);
    expect(err.hint).toContain('or a type available in sin (ccx13, cpx32)');
  });

  it('the project limit', async () => {
    fake().state.serverLimit = 1;
    fake().state.addServer({ name: 'existing' });
    const { provider } = providerFor(fake());
    const err = await failure(provider.createServer(spec()));
    expect(err).toMatchObject({ code: 'resource_limit_exceeded', status: 403 });
    expect(err.message).toMatch(/project limit \(project_limit\) is reached: delete servers you no longer need/);
  });

  it('a name already used is a uniqueness error naming the field, not retried', async () => {
    fake().state.addServer({ name: 'web-1' });
    const { provider, events } = providerFor(fake());
    const err = await failure(provider.createServer(spec()));
    expect(err).toMatchObject({ code: 'uniqueness_error', status: 409 });
    expect(err.message).toContain('[name]');
    expect(events).toEqual([]);
  });

  it('a locked resource (423) is reported with advice to wait, not retried', async () => {
    const server = fake().state.addServer({ name: 'busy' });
    fake().inject({ kind: 'status', method: 'DELETE', path: `/servers/${server.id}`, status: 423 });
    const { provider, events } = providerFor(fake());
    const err = await failure(provider.deleteServer(String(server.id)));
    expect(err).toMatchObject({ code: 'locked', status: 423 });
    expect(err.message).toMatch(/wait until it finishes/);
    expect(events).toEqual([]);
    expect(fake().state.servers.get(server.id)?.status).toBe('running');
  });

  it('a 503 is final and says to try later', async () => {
    fake().inject({ kind: 'status', path: '/locations', status: 503 });
    const { provider, events } = providerFor(fake());
    const err = await failure(provider.listLocations());
    expect(err).toMatchObject({ code: 'unavailable', status: 503 });
    expect(err.message).toMatch(/try again in a few minutes/);
    expect(events).toEqual([]);
    expect(hits(fake(), 'GET', '/locations')).toHaveLength(1);
  });
});

describe('answers deckhand cannot read', () => {
  async function serve(body: unknown, status: number): Promise<{ server: Server; endpoint: string }> {
    const server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
  }

  it('a list of the wrong shape is an invalid_response error, not retried', async () => {
    const { server, endpoint } = await serve({ locations: 'nope' }, 200);
    try {
      const events: unknown[] = [];
      const provider = new HetznerProvider({ endpoint, token: 't', onEvent: (e) => events.push(e) });
      const err = await failure(provider.listLocations());
      expect(err).toMatchObject({ code: 'invalid_response', status: 200 });
      expect(err.message).toMatch(/update deckhand/);
      expect(events).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('an unreadable answer to a create is an unknown outcome: the server may well exist', async () => {
    const { server, endpoint } = await serve({ server: { id: 1 } }, 201);
    try {
      const provider = new HetznerProvider({ endpoint, token: 't' });
      const err = await failure(provider.createServer(spec()));
      expect(err).toBeInstanceOf(CreateOutcomeUnknownError);
      expect(err.cause).toMatchObject({ code: 'invalid_response' });
    } finally {
      server.close();
    }
  });

  it('a token with a line break is refused before any request, with a hint to copy it again', async () => {
    const provider = new HetznerProvider({ endpoint: 'http://127.0.0.1:9/v1', token: 'abc\n' });
    const err = await failure(provider.listLocations());
    expect(err).toMatchObject({ code: 'unauthorized' });
    expect(err.message).toMatch(/Copy the token again/);
  });
});
