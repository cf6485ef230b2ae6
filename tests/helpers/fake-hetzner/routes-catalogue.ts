import { createHash } from 'node:crypto';
import { IMAGES, LOCATIONS, SERVER_TYPES } from './catalogue.js';
import { ApiError, invalidInput, paginate, type RouteResult } from './http.js';
import type { Route, RouteContext } from './router.js';
import { checkLabels, selectByLabels } from './routes-servers.js';
import { imageJson, locationJson, serverTypeJson, sshKeyJson } from './serialize.js';

/*
 * The fake computes fingerprints itself rather than importing deckhand's helper, so a bug there
 * cannot hide behind the same bug here.
 */
function md5OfKey(publicKey: string): string | null {
  const [type, b64] = publicKey.trim().split(/\s+/);
  if (!type || !b64) return null;
  const blob = Buffer.from(b64, 'base64');
  if (blob.length < 4 || blob.subarray(4, 4 + blob.readUInt32BE(0)).toString() !== type) return null;
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');
}

function list<T>(ctx: RouteContext, items: T[], key: string): RouteResult {
  const page = paginate(items, ctx.query, key, ctx.selfUrl);
  return { status: 200, body: page.body, headers: page.headers };
}

function byName<T extends { name: string | null }>(items: T[], ctx: RouteContext): T[] {
  const name = ctx.query.get('name');
  return name === null ? items : items.filter((i) => i.name === name);
}

export const catalogueRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/ssh_keys$/,
    handle: (ctx) => {
      const fingerprint = ctx.query.get('fingerprint');
      const keys = byName([...ctx.state.sshKeys.values()], ctx).filter(
        (k) => fingerprint === null || k.fingerprint === fingerprint,
      );
      return list(ctx, selectByLabels(keys, ctx.query).map(sshKeyJson), 'ssh_keys');
    },
  },
  {
    method: 'POST',
    pattern: /^\/ssh_keys$/,
    handle: (ctx) => {
      const b = (typeof ctx.body === 'object' && ctx.body !== null ? ctx.body : {}) as Record<string, unknown>;
      if (typeof b.name !== 'string' || b.name === '') throw invalidInput('name', 'Missing data for required field.');
      if (typeof b.public_key !== 'string') throw invalidInput('public_key', 'Missing data for required field.');
      const fingerprint = md5OfKey(b.public_key);
      if (!fingerprint) throw invalidInput('public_key', 'invalid public key');
      const labels = checkLabels(b.labels);
      const keys = [...ctx.state.sshKeys.values()];
      if (keys.some((k) => k.fingerprint === fingerprint)) {
        throw new ApiError(409, 'uniqueness_error', 'SSH key with the same fingerprint already exists', {
          fields: [{ name: 'public_key' }],
        });
      }
      if (keys.some((k) => k.name === b.name)) {
        throw new ApiError(409, 'uniqueness_error', 'SSH key with the same name already exists', {
          fields: [{ name: 'name' }],
        });
      }
      const key = ctx.state.addSshKey({ name: b.name, publicKey: b.public_key.trim(), fingerprint, labels });
      return { status: 201, body: { ssh_key: sshKeyJson(key) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/server_types$/,
    handle: (ctx) => list(ctx, byName(SERVER_TYPES, ctx).map(serverTypeJson), 'server_types'),
  },
  {
    method: 'GET',
    pattern: /^\/locations$/,
    handle: (ctx) => list(ctx, byName(LOCATIONS, ctx).map(locationJson), 'locations'),
  },
  {
    method: 'GET',
    pattern: /^\/images$/,
    handle: (ctx) => {
      const types = ctx.query.getAll('type');
      const arch = ctx.query.get('architecture');
      const images = byName(IMAGES, ctx).filter(
        (i) => (types.length === 0 || types.includes('system')) && (arch === null || i.architecture === arch),
      );
      return list(ctx, images.map(imageJson), 'images');
    },
  },
];
