import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { allowedHostsFor, checkBearer, checkHostAndOrigin, isLoopbackHost } from '../../src/web/http-guards.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const HOSTS = allowedHostsFor('127.0.0.1');

describe('isLoopbackHost', () => {
  it('knows loopback names and addresses', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])
      expect(isLoopbackHost(h), h).toBe(true);
  });
  it('does not take a DNS name that merely starts with 127. for loopback', () => {
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '127.evil.example', '127.0.0.1.nip.io', 'localhost.evil.example'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('allowedHostsFor', () => {
  it('always accepts the loopback names, adds a specific bind address, never a wildcard', () => {
    expect(allowedHostsFor('127.0.0.1')).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(allowedHostsFor('0.0.0.0')).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(allowedHostsFor('::')).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(allowedHostsFor('10.0.0.5')).toContain('10.0.0.5');
    expect(allowedHostsFor('fd00::1')).toContain('[fd00::1]');
  });
  it('adds DECKHAND_HTTP_ALLOWED_HOSTS to the defaults instead of replacing them', () => {
    const hosts = allowedHostsFor('0.0.0.0', ['Deckhand.Internal', '192.168.1.9']);
    expect(hosts).toEqual(['localhost', '127.0.0.1', '[::1]', 'deckhand.internal', '192.168.1.9']);
  });
});

describe('checkHostAndOrigin', () => {
  it('accepts loopback Host headers with any port and in any case', () => {
    for (const host of ['127.0.0.1:8765', 'localhost:1', 'LOCALHOST', '[::1]:8765', '127.0.0.1'])
      expect(checkHostAndOrigin(req({ host }), HOSTS, []), host).toBeUndefined();
  });

  it('refuses a foreign or missing Host with 403 and says how to allow it', () => {
    for (const host of ['evil.example', 'evil.example:8765', '127.0.0.1.nip.io:8765', '10.0.0.5']) {
      const v = checkHostAndOrigin(req({ host }), HOSTS, []);
      expect(v?.status, host).toBe(403);
      expect(v?.message).toContain(host);
      expect(v?.message).toContain('DECKHAND_HTTP_ALLOWED_HOSTS');
    }
    expect(checkHostAndOrigin(req({}), HOSTS, [])?.status).toBe(403);
  });

  it('accepts an Origin on a loopback host or in the allowed list', () => {
    for (const origin of ['http://localhost:8765', 'http://127.0.0.1:3000', 'http://[::1]:8765', 'https://localhost'])
      expect(checkHostAndOrigin(req({ host: 'localhost:8765', origin }), HOSTS, []), origin).toBeUndefined();
    expect(
      checkHostAndOrigin(req({ host: 'localhost', origin: 'https://app.example' }), HOSTS, ['https://app.example']),
    ).toBeUndefined();
  });

  it('refuses a foreign, opaque or malformed Origin with 403', () => {
    for (const origin of [
      'http://evil.example',
      'http://localhost.evil.example',
      'https://app.example.evil',
      'null',
      'file://',
      'not a url',
    ]) {
      const v = checkHostAndOrigin(req({ host: 'localhost:8765', origin }), HOSTS, ['https://app.example']);
      expect(v?.status, origin).toBe(403);
      expect(v?.message).toContain(origin);
    }
  });
});

describe('checkBearer', () => {
  const token = 'a-long-enough-test-token-0123456789';

  it('lets everything through when no token is configured', () => {
    expect(checkBearer(req({}), undefined)).toBeUndefined();
  });

  it('accepts the right token, whatever the case of "Bearer"', () => {
    expect(checkBearer(req({ authorization: `Bearer ${token}` }), token)).toBeUndefined();
    expect(checkBearer(req({ authorization: `bearer ${token}` }), token)).toBeUndefined();
  });

  it('answers 401 with WWW-Authenticate for a missing, wrong or differently-schemed token', () => {
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Basic ${Buffer.from(`u:${token}`).toString('base64')}`,
      token,
    ]) {
      const v = checkBearer(req(authorization === undefined ? {} : { authorization }), token);
      expect(v?.status, String(authorization)).toBe(401);
      expect(v?.headers?.['WWW-Authenticate']).toMatch(/^Bearer /);
      expect(v?.message).not.toContain(token);
    }
  });
});
