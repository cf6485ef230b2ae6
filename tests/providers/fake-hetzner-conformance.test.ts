import { utils } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { startFakeHetzner, type FakeHetzner, type RecordedResponse } from '../helpers/fake-hetzner/index.js';
import { checkAgainstSpec } from '../helpers/fake-hetzner/openapi-check.js';
import { specChecker } from './fixtures.js';

/*
 * The fake is only worth something while it answers like the real API. Every exchange below is checked
 * against Hetzner's OpenAPI description; the provider tests run the same check after each test.
 */

// Shapes are validated against the OpenAPI description; a loose type only keeps the assertions short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function call(fake: FakeHetzner, method: string, path: string, body?: unknown, token = fake.token) {
  const res = await fetch(fake.url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

describe('the OpenAPI checker', () => {
  const base = (): RecordedResponse => ({
    method: 'GET',
    path: '/actions/1',
    query: '',
    requestBody: undefined,
    status: 200,
    headers: {},
    body: {
      action: {
        id: 1,
        command: 'create_server',
        status: 'running',
        started: '2026-11-23T04:00:00Z',
        finished: null,
        progress: 0,
        resources: [{ id: 42, type: 'server' }],
        error: null,
      },
    },
  });

  it('accepts a valid body, including nullable fields set to null', () => {
    expect(specChecker().check(base())).toEqual([]);
  });

  it('rejects invented fields, missing required fields, wrong enums and undeclared operations', () => {
    const extra = base();
    (extra.body as Json).action.eta = 3;
    expect(specChecker().check(extra).join()).toMatch(/additional properties/);
    const missing = base();
    delete (missing.body as Json).action.progress;
    expect(specChecker().check(missing).join()).toMatch(/progress/);
    const badEnum = base();
    (badEnum.body as Json).action.status = 'done';
    expect(specChecker().check(badEnum).join()).toMatch(/allowed values/);
    const nullNotAllowed = base();
    (nullNotAllowed.body as Json).action.command = null;
    expect(specChecker().check(nullNotAllowed).join()).toMatch(/must be string/);
    expect(
      specChecker()
        .check({ ...base(), path: '/nothing' })
        .join(),
    ).toMatch(/no such operation/);
  });

  it('checks request bodies too', () => {
    const create: RecordedResponse = {
      ...base(),
      method: 'POST',
      path: '/servers',
      requestBody: { name: 'a', server_type: 'cx23', image: 'debian-12', flavour: 'x' },
      status: 0,
    };
    expect(specChecker().check(create).join()).toMatch(/request body data must NOT have additional properties/);
  });
});

describe('fake Hetzner API conformance', () => {
  it('every response of every supported operation, success and error, matches the OpenAPI description', async () => {
    const fake = await startFakeHetzner({ actionDurationMs: 0, serverLimit: 2 });
    try {
      const publicKey = utils.generateKeyPairSync('ed25519').public;
      const key = await call(fake, 'POST', '/ssh_keys', { name: 'k', public_key: publicKey, labels: { a: 'b' } });
      expect(key.status).toBe(201);
      expect((await call(fake, 'POST', '/ssh_keys', { name: 'k2', public_key: publicKey })).body.error.code).toBe(
        'uniqueness_error',
      );
      expect((await call(fake, 'POST', '/ssh_keys', { name: 'k3', public_key: 'ssh-ed25519 AAAA' })).status).toBe(422);
      const fp = encodeURIComponent(key.body.ssh_key.fingerprint);
      expect((await call(fake, 'GET', `/ssh_keys?fingerprint=${fp}`)).body.ssh_keys).toHaveLength(1);
      expect((await call(fake, 'GET', '/ssh_keys?name=k')).body.ssh_keys).toHaveLength(1);

      const body = { name: 'a-1', server_type: 'cpx22', image: 'debian-12', location: 'nbg1', ssh_keys: ['k'] };
      const created = await call(fake, 'POST', '/servers', { ...body, labels: { 'managed-by': 'deckhand' } });
      expect(created.status).toBe(201);
      expect(created.body.root_password).toBeNull();
      expect(created.body.action.status).toBe('running');
      const id = created.body.server.id as number;
      expect((await call(fake, 'GET', `/actions/${created.body.action.id}`)).body.action.status).toBe('success');
      expect((await call(fake, 'GET', `/servers/${id}`)).body.server.status).toBe('running');
      expect((await call(fake, 'POST', '/servers', body)).body.error.code).toBe('uniqueness_error');
      expect((await call(fake, 'POST', '/servers', { ...body, name: 'a-2', server_type: 'nope' })).status).toBe(422);
      expect((await call(fake, 'POST', '/servers', { ...body, name: 'a-2', image: 'nope' })).status).toBe(422);
      expect((await call(fake, 'POST', '/servers', { ...body, name: 'a-2', location: 'mars' })).status).toBe(422);
      const arm = await call(fake, 'POST', '/servers', { ...body, name: 'a-2', server_type: 'cax11', location: 'ash' });
      expect(arm.body.error).toEqual({
        code: 'invalid_input',
        message: 'unsupported location for server type',
        details: {},
      });
      const soldOut = await call(fake, 'POST', '/servers', { ...body, name: 'a-2', location: 'sin' });
      expect([soldOut.status, soldOut.body.error.code]).toEqual([412, 'resource_unavailable']);
      expect((await call(fake, 'POST', '/servers', { ...body, name: 'a 2' })).status).toBe(422);
      expect((await call(fake, 'POST', '/servers', { ...body, name: 'a-2' })).status).toBe(201);
      const limit = await call(fake, 'POST', '/servers', { ...body, name: 'a-3' });
      expect([limit.status, limit.body.error.code]).toEqual([403, 'resource_limit_exceeded']);
      expect(limit.body.error.details).toEqual({ limits: [{ name: 'project_limit' }] });

      const list = await call(fake, 'GET', '/servers?per_page=1&page=2&label_selector=managed-by%3Ddeckhand');
      expect(list.body.servers).toEqual([]);
      expect(list.body.meta.pagination).toMatchObject({ page: 2, per_page: 1, next_page: null, total_entries: 1 });
      expect((await call(fake, 'GET', '/servers?per_page=1&page=2')).body.meta.pagination).toEqual({
        page: 2,
        per_page: 1,
        previous_page: 1,
        next_page: null,
        last_page: 2,
        total_entries: 2,
      });
      expect((await call(fake, 'GET', '/servers?label_selector=a%3D%3D')).status).toBe(200);
      expect((await call(fake, 'GET', '/servers?label_selector=(')).status).toBe(422);
      expect((await call(fake, 'GET', '/servers?name=a-1')).body.servers).toHaveLength(1);
      expect((await call(fake, 'GET', '/server_types')).body.server_types.length).toBeGreaterThan(3);
      expect((await call(fake, 'GET', '/locations')).body.locations).toHaveLength(6);
      expect((await call(fake, 'GET', '/images?architecture=arm')).body.images.length).toBeGreaterThan(0);

      const del = await call(fake, 'DELETE', `/servers/${id}`);
      expect(del.body.action.command).toBe('delete_server');
      expect((await call(fake, 'GET', `/servers/${id}`)).status).toBe(404);
      expect((await call(fake, 'GET', '/actions/1')).status).toBe(404);
      expect((await call(fake, 'GET', '/servers', undefined, 'wrong')).body.error.code).toBe('unauthorized');
      const ro = await call(fake, 'POST', '/ssh_keys', { name: 'x', public_key: publicKey }, fake.readOnlyToken);
      expect([ro.status, ro.body.error.code]).toEqual([401, 'token_readonly']);
      expect((await call(fake, 'GET', '/locations', undefined, fake.readOnlyToken)).status).toBe(200);

      for (const status of [409, 423, 429, 500, 502, 503, 504] as const) {
        fake.inject({ kind: 'status', method: 'GET', path: '/locations', status });
        expect((await call(fake, 'GET', '/locations')).status).toBe(status);
      }

      const seen = new Set(
        fake.state.responses.map((r) => `${r.method} ${specChecker().templateFor(r.path)} ${r.status}`),
      );
      for (const op of [
        'POST /servers 201',
        'GET /servers 200',
        'GET /servers/{id} 200',
        'DELETE /servers/{id} 200',
        'GET /actions/{id} 200',
        'POST /ssh_keys 201',
        'GET /ssh_keys 200',
        'GET /server_types 200',
        'GET /locations 200',
        'GET /images 200',
        'POST /servers 403',
        'POST /servers 409',
        'POST /servers 412',
        'POST /servers 422',
        'GET /servers/{id} 404',
        'POST /ssh_keys 401',
        'GET /locations 429',
        'GET /locations 504',
      ]) {
        expect(seen, op).toContain(op);
      }
      expect(fake.state.internalErrors).toEqual([]);
      expect(checkAgainstSpec(specChecker(), fake.state.responses)).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('sends RateLimit headers on every response and answers 429 itself when the bucket is empty', async () => {
    const fake = await startFakeHetzner({ rateLimit: { limit: 2, refillPerSecond: 0.001 } });
    try {
      const first = await call(fake, 'GET', '/locations');
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      await call(fake, 'GET', '/locations');
      const limited = await call(fake, 'GET', '/locations');
      expect([limited.status, limited.body.error.code]).toEqual([429, 'rate_limit_exceeded']);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      expect(fake.state.responses.every((r) => 'RateLimit-Reset' in r.headers)).toBe(true);
      expect(checkAgainstSpec(specChecker(), fake.state.responses)).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
