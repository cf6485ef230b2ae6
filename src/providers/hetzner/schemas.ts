import { z } from 'zod';

/*
 * Only the fields deckhand reads, so that additions to the API never break parsing. `datacenter` is
 * deliberately absent: Hetzner removed it from servers in 2026, `location` is the field to read.
 */

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal string');

export const priceSchema = z.object({ net: decimal, gross: decimal });

export const paginationSchema = z.object({
  page: z.number().int(),
  per_page: z.number().int(),
  next_page: z.number().int().nullable(),
  last_page: z.number().int().nullable().optional(),
  total_entries: z.number().int().nullable().optional(),
});

export const metaSchema = z.object({ pagination: paginationSchema });

export const actionSchema = z.object({
  id: z.number().int(),
  command: z.string(),
  status: z.enum(['running', 'success', 'error']),
  progress: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
});
export type ActionJson = z.infer<typeof actionSchema>;

export const serverTypePriceSchema = z.object({
  location: z.string(),
  price_hourly: priceSchema,
  price_monthly: priceSchema,
});

export const serverTypeSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  cores: z.number(),
  memory: z.number(),
  disk: z.number(),
  deprecated: z.boolean().nullable().optional(),
  prices: z.array(serverTypePriceSchema),
  cpu_type: z.enum(['shared', 'dedicated']),
  architecture: z.enum(['x86', 'arm']),
  // Older API versions had no per-location availability; treat absence as "every priced location".
  locations: z.array(z.object({ name: z.string(), available: z.boolean() })).optional(),
});
export type ServerTypeJson = z.infer<typeof serverTypeSchema>;

export const locationSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  country: z.string(),
  city: z.string(),
  network_zone: z.string(),
});
export type LocationJson = z.infer<typeof locationSchema>;

export const imageSchema = z.object({
  id: z.number().int(),
  type: z.enum(['system', 'app', 'snapshot', 'backup']),
  name: z.string().nullable(),
  description: z.string(),
  os_flavor: z.string(),
  os_version: z.string().nullable(),
  architecture: z.enum(['x86', 'arm']),
});
export type ImageJson = z.infer<typeof imageSchema>;

export const serverSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.enum([
    'initializing',
    'starting',
    'running',
    'stopping',
    'off',
    'deleting',
    'migrating',
    'rebuilding',
    'unknown',
  ]),
  created: z.string(),
  public_net: z.object({
    ipv4: z.object({ ip: z.string() }).nullable(),
  }),
  server_type: serverTypeSchema,
  location: z.object({ name: z.string() }),
  labels: z.record(z.string()),
});
export type ServerJson = z.infer<typeof serverSchema>;

export const sshKeySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  fingerprint: z.string(),
});

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>['error'];

export const createServerResponseSchema = z.object({
  server: serverSchema,
  action: actionSchema,
  next_actions: z.array(actionSchema),
  root_password: z.string().nullable(),
});

export const serverResponseSchema = z.object({ server: serverSchema });
export const actionResponseSchema = z.object({ action: actionSchema });
export const sshKeyResponseSchema = z.object({ ssh_key: sshKeySchema });

/** Field names in `details.fields` of an invalid_input error. */
export const invalidInputDetailsSchema = z.object({
  fields: z.array(z.object({ name: z.string(), messages: z.array(z.string()).optional() })),
});

export const limitDetailsSchema = z.object({
  limits: z.array(z.object({ name: z.string() })),
});
