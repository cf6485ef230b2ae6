import { n8n } from './n8n.js';
import { postgres } from './postgres.js';
import { redis } from './redis.js';
import { uptimeKuma } from './uptime-kuma.js';
import { vaultwarden } from './vaultwarden.js';
import { whoami } from './whoami.js';

/**
 * The built-in catalogue: one data module per app, listed here. They are typed for the editor but still
 * validated by load-catalogue.ts, which is what guards against a bad entry.
 */
export const BUILTIN_APPS: readonly unknown[] = Object.freeze([whoami, postgres, redis, n8n, uptimeKuma, vaultwarden]);
