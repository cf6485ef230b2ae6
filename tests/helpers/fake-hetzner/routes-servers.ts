import { findByIdOrName, IMAGES, LOCATIONS, SERVER_TYPES } from './catalogue.js';
import { ApiError, invalidInput, notFound, paginate, pathId, type RouteResult } from './http.js';
import { parseLabelSelector } from './label-selector.js';
import type { Route, RouteContext } from './router.js';
import { actionJson, serverJson } from './serialize.js';
import type { FakeServer } from './state.js';

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const LABEL_KEY =
  /^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
const USER_DATA_MAX = 32 * 1024;

export function selectByLabels<T extends { labels: Record<string, string> }>(items: T[], query: URLSearchParams): T[] {
  const selector = query.get('label_selector');
  if (selector === null) return items;
  let match: (l: Record<string, string>) => boolean;
  try {
    match = parseLabelSelector(selector);
  } catch (err) {
    throw invalidInput('label_selector', (err as Error).message);
  }
  return items.filter((i) => match(i.labels));
}

export function checkLabels(labels: unknown): Record<string, string> {
  if (labels === undefined) return {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw invalidInput('labels', 'must be an object');
  }
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== 'string' || !LABEL_KEY.test(k) || !LABEL_VALUE.test(v) || k.startsWith('hetzner.cloud/')) {
      throw invalidInput('labels', `invalid label ${k}=${String(v)}`);
    }
  }
  return labels as Record<string, string>;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || v === '') throw invalidInput(field, 'Missing data for required field.');
  return v;
}

function createServer(ctx: RouteContext): RouteResult | 'reset' {
  const { state } = ctx;
  const body = ctx.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'json_error', 'request body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const name = requiredString(b, 'name');
  if (!HOSTNAME.test(name)) throw invalidInput('name', 'must be a valid hostname');
  const labels = checkLabels(b.labels);
  const type = findByIdOrName(SERVER_TYPES, requiredString(b, 'server_type'));
  if (!type) throw invalidInput('server_type', 'server type not found');
  const imageRef = requiredString(b, 'image');
  let locationName: string;
  if (b.location !== undefined) {
    const location = findByIdOrName(LOCATIONS, String(b.location));
    if (!location) throw invalidInput('location', 'location not found');
    locationName = location.name;
  } else {
    locationName = Object.keys(type.monthly).find((l) => !type.soldOut.includes(l)) ?? 'fsn1';
  }
  // Real API: a type never offered somewhere is invalid input without field details; sold out is a 412.
  if (!(locationName in type.monthly)) {
    throw new ApiError(422, 'invalid_input', 'unsupported location for server type', {});
  }
  if (type.deprecated || type.soldOut.includes(locationName)) {
    throw new ApiError(412, 'resource_unavailable', `server type ${type.name} is unavailable in ${locationName}`);
  }
  const image = IMAGES.find(
    (i) => (String(i.id) === imageRef || i.name === imageRef) && i.architecture === type.architecture,
  );
  if (!image) throw invalidInput('image', 'image not found');
  const sshKeyRefs = Array.isArray(b.ssh_keys) ? b.ssh_keys.map(String) : [];
  const sshKeyIds = sshKeyRefs.map((ref) => {
    const key = findByIdOrName([...state.sshKeys.values()], ref);
    if (!key) throw invalidInput('ssh_keys', `ssh key ${ref} not found`);
    return key.id;
  });
  const userData = b.user_data;
  if (userData !== undefined && (typeof userData !== 'string' || Buffer.byteLength(userData) > USER_DATA_MAX)) {
    throw invalidInput('user_data', 'must be a string of at most 32 KiB');
  }
  if (state.findServerByName(name)) {
    throw new ApiError(409, 'uniqueness_error', 'server name is already used', { fields: [{ name: 'name' }] });
  }
  if (state.servers.size >= state.serverLimit) {
    throw new ApiError(403, 'resource_limit_exceeded', 'server limit exceeded', {
      limits: [{ name: 'project_limit' }],
    });
  }

  const startAfter = b.start_after_create !== false;
  const server = state.addServer({
    name,
    serverType: type.name,
    location: locationName,
    imageId: image.id,
    labels,
    status: 'initializing',
    sshKeyIds,
    ...(typeof userData === 'string' ? { userData } : {}),
  });
  const create = state.startAction('create_server', server.id, {
    onSuccess: () => (server.status = startAfter ? 'starting' : 'off'),
    onError: () => (server.status = 'off'),
  });
  const next = startAfter
    ? [
        state.startAction('start_server', server.id, {
          onSuccess: () => (server.status = 'running'),
          ...(create.failWith ? { failWith: { code: 'action_failed', message: 'server creation failed' } } : {}),
        }),
      ]
    : [];
  if (state.faults.takeResetAfterCreate()) return 'reset';
  return {
    status: 201,
    body: {
      server: serverJson(server),
      action: actionJson(create),
      next_actions: next.map(actionJson),
      root_password: sshKeyIds.length ? null : 'fake-root-password',
    },
  };
}

function serverById(ctx: RouteContext): FakeServer {
  const server = ctx.state.servers.get(pathId(ctx.params[0], 'server'));
  if (!server) throw notFound('server');
  return server;
}

export const serverRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/servers$/,
    handle: (ctx) => {
      const name = ctx.query.get('name');
      const all = [...ctx.state.servers.values()].filter((s) => name === null || s.name === name);
      const page = paginate(selectByLabels(all, ctx.query).map(serverJson), ctx.query, 'servers', ctx.selfUrl);
      return { status: 200, body: page.body, headers: page.headers };
    },
  },
  { method: 'POST', pattern: /^\/servers$/, handle: createServer },
  {
    method: 'GET',
    pattern: /^\/servers\/([^/]+)$/,
    handle: (ctx) => ({ status: 200, body: { server: serverJson(serverById(ctx)) } }),
  },
  {
    method: 'DELETE',
    pattern: /^\/servers\/([^/]+)$/,
    handle: (ctx) => {
      const server = serverById(ctx);
      if (server.status === 'deleting') throw new ApiError(423, 'locked', 'server is locked by a running action');
      const before = server.status;
      server.status = 'deleting';
      const action = ctx.state.startAction('delete_server', server.id, {
        onSuccess: () => ctx.state.servers.delete(server.id),
        onError: () => (server.status = before),
      });
      return { status: 200, body: { action: actionJson(action) } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/actions\/([^/]+)$/,
    handle: (ctx) => {
      const action = ctx.state.actions.get(pathId(ctx.params[0], 'action'));
      if (!action) throw notFound('action');
      return { status: 200, body: { action: actionJson(action) } };
    },
  },
];
