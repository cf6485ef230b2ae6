import type { UpdateOrder } from './service.js';

/**
 * Why two tasks of a user's service cannot run side by side on a node, or undefined when they can. start-first
 * needs exactly that for a moment: where it is impossible the new task stays Pending ("no suitable node") and the
 * update never ends, so such a service must stop its old task first. deckhand's servers are one-node Swarms.
 */
export function exclusiveReason(service: Readonly<Record<string, unknown>>): string | undefined {
  const hostPorts = publishedHostPorts(service.ports);
  if (hostPorts.length > 0) {
    return `it publishes host-mode port ${hostPorts.join(', ')}, which only one task can hold`;
  }
  const deploy = isRecord(service.deploy) ? service.deploy : {};
  if (deploy.mode === 'global') return 'deploy.mode is global: one task per node';
  const placement = isRecord(deploy.placement) ? deploy.placement : {};
  const perNode = Number(placement.max_replicas_per_node);
  const replicas = deploy.replicas === undefined ? 1 : Number(deploy.replicas);
  if (Number.isInteger(perNode) && perNode > 0 && replicas >= perNode) {
    return `placement.max_replicas_per_node is ${perNode} with ${replicas} replica${replicas === 1 ? '' : 's'}: no room for a new task beside the old one`;
  }
  return undefined;
}

export interface OrderChoice {
  readonly order: UpdateOrder;
  /** A note for the release's warnings, when the user's own order cannot work. */
  readonly warning: string | undefined;
}

/**
 * The update order of a user's service: the user's own `update_config.order` when given (with a warning when it
 * cannot work), else stop-first for services that hold data (volumes) or cannot run twice, start-first otherwise
 * (the old task serves until the new one is healthy).
 */
export function chooseUpdateOrder(name: string, service: Readonly<Record<string, unknown>>): OrderChoice {
  const exclusive = exclusiveReason(service);
  const deploy = isRecord(service.deploy) ? service.deploy : {};
  const own = isRecord(deploy.update_config) ? deploy.update_config.order : undefined;
  if (own === 'start-first' || own === 'stop-first') {
    const warning =
      own === 'start-first' && exclusive
        ? `service ${name}: update_config.order start-first cannot work: ${exclusive}, so the new task would wait ` +
          `for a node forever and the deploy fails and rolls back; remove the order (deckhand then uses stop-first)`
        : undefined;
    return { order: own, warning };
  }
  const data = service.volumes !== undefined;
  return { order: data || exclusive ? 'stop-first' : 'start-first', warning: undefined };
}

/** Published ports in host mode: long syntax `{target, published, mode: host}` (short syntax is ingress). */
function publishedHostPorts(ports: unknown): string[] {
  if (!Array.isArray(ports)) return [];
  return ports
    .filter((p): p is Record<string, unknown> => isRecord(p) && p.mode === 'host' && p.published !== undefined)
    .map((p) => String(p.published));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
