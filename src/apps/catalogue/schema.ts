import { z } from 'zod';
import { pinnedImageProblem } from '../render/images.js';
import { findPlaceholders, placeholderProblem } from '../render/placeholders.js';

/**
 * The shape of one catalogue app. Catalogue entries are plain data (one module per app) and are validated
 * with this schema when the catalogue loads; checks that span several apps live in load-catalogue.ts.
 * There is deliberately no `ports` field: the only way into a catalogue app is Traefik, so no database
 * can ever be published on the host.
 */

export const APP_NAME = /^[a-z][a-z0-9-]{0,39}$/;
export const ENV_KEY = /^[A-Z][A-Z0-9_]*$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const VOLUME_NAME = /^[a-z][a-z0-9-]{0,39}$/;

const appName = z.string().regex(APP_NAME, 'must be lower-case letters, digits and dashes, starting with a letter');
const serviceName = z
  .string()
  .regex(SERVICE_NAME, 'must be lower-case letters, digits and dashes, starting with a letter');
const port = z.number().int().min(1).max(65535);

export const imageRefSchema = z.string().superRefine((ref, ctx) => {
  const problem = pinnedImageProblem(ref);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

export const secretSpecSchema = z
  .object({
    length: z.number().int().min(16).max(256),
    // Only characters that need no quoting in a .env line or a shell word.
    charset: z.enum(['alphanumeric', 'hex']),
  })
  .strict();

export const envVarSchema = z
  .object({
    description: z.string().min(1),
    required: z.boolean().default(false),
    default: z.string().optional(),
    allowed: z.array(z.string()).min(1).optional(),
    pattern: z.string().optional(),
    /** Never echoed in plans or error messages. Generated secrets are always sensitive. */
    sensitive: z.boolean().default(false),
    /** Generated once by deckhand, stored in DECKHAND_HOME and reused on every redeploy. */
    secret: secretSpecSchema.optional(),
    /** Copied from a dependency's resolved env (e.g. the postgres password n8n connects with). */
    fromDependency: z
      .object({ app: appName, key: z.string().regex(ENV_KEY) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const sources = [v.default !== undefined, v.secret !== undefined, v.fromDependency !== undefined];
    if (sources.filter(Boolean).length > 1) {
      ctx.addIssue({ code: 'custom', message: 'use only one of default, secret and fromDependency' });
    }
    if (v.required && (v.default !== undefined || v.secret || v.fromDependency)) {
      ctx.addIssue({ code: 'custom', message: 'required only makes sense for values the user must provide' });
    }
    let regex: RegExp | undefined;
    if (v.pattern !== undefined) {
      try {
        regex = new RegExp(v.pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${String(err)}` });
      }
    }
    if (v.default !== undefined) {
      if (v.allowed && !v.allowed.includes(v.default)) {
        ctx.addIssue({ code: 'custom', path: ['default'], message: 'is not one of the allowed values' });
      }
      if (regex && !regex.test(v.default)) {
        ctx.addIssue({ code: 'custom', path: ['default'], message: 'does not match the pattern' });
      }
    }
  });

export const healthcheckSchema = z
  .object({
    test: z
      .array(z.string().min(1))
      .min(2)
      .refine((t) => t[0] === 'CMD' || t[0] === 'CMD-SHELL', 'must start with CMD or CMD-SHELL'),
    intervalSeconds: z.number().int().min(1).max(3600),
    timeoutSeconds: z.number().int().min(1).max(3600),
    retries: z.number().int().min(1).max(50),
    startPeriodSeconds: z.number().int().min(0).max(3600),
  })
  .strict();

const volumeMountSchema = z
  .object({
    name: z.string().regex(VOLUME_NAME, 'must be lower-case letters, digits and dashes'),
    target: z.string().startsWith('/'),
    readOnly: z.boolean().default(false),
  })
  .strict();

export const serviceSchema = z
  .object({
    image: imageRefSchema,
    command: z.array(z.string()).min(1).optional(),
    /** Fixed, non-secret settings; may use placeholders. User settings and secrets go through .env instead. */
    environment: z.record(z.string().regex(ENV_KEY), z.string()).default({}),
    healthcheck: healthcheckSchema.optional(),
    /** Why the image cannot check itself (e.g. FROM scratch); the deploy job's HTTP probe covers it instead. */
    healthcheckUnavailable: z.string().min(1).optional(),
    volumes: z.array(volumeMountSchema).default([]),
    replicas: z.number().int().min(1).max(10).default(1),
    /** Holds data that two tasks must never open at once, so updates stop the old task first. */
    singleWriter: z.boolean().default(false),
    database: z.boolean().default(false),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.healthcheck === undefined) === (s.healthcheckUnavailable === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['healthcheck'],
        message: 'give either a healthcheck or healthcheckUnavailable (the reason the image cannot check itself)',
      });
    }
    if (s.database && !s.singleWriter) {
      ctx.addIssue({ code: 'custom', path: ['singleWriter'], message: 'a database service must be singleWriter' });
    }
    if (s.singleWriter && s.replicas !== 1) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'a singleWriter service runs exactly 1 replica' });
    }
  });

export const dependencySchema = z
  .object({
    app: appName,
    /** Idempotent command run inside the dependency's service before deploying, e.g. creating a database. */
    setup: z
      .object({
        service: serviceName,
        description: z.string().min(1),
        command: z.array(z.string().min(1)).min(1),
      })
      .strict()
      .optional(),
  })
  .strict();

const appObjectSchema = z
  .object({
    name: appName,
    description: z.string().min(1),
    version: z.string().min(1),
    services: z.record(serviceName, serviceSchema).refine((s) => Object.keys(s).length > 0, 'needs a service'),
    env: z.record(z.string().regex(ENV_KEY), envVarSchema).default({}),
    dependencies: z.array(dependencySchema).default([]),
    /** For web apps: the service and port Traefik routes to, and the path the deploy job probes. */
    route: z
      .object({
        service: serviceName,
        port,
        probePath: z.string().startsWith('/'),
        requiresDomain: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** For apps other apps depend on: the service and port they connect to over the overlay network. */
    connect: z.object({ service: serviceName, port }).strict().optional(),
  })
  .strict();

export const appSchema = appObjectSchema.superRefine(checkAppConsistency);

type AppShape = z.output<typeof appObjectSchema>;

function checkAppConsistency(app: AppShape, ctx: z.RefinementCtx): void {
  const services = Object.keys(app.services);
  const dependencyNames = new Set(app.dependencies.map((d) => d.app));
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

  if (app.route && !services.includes(app.route.service)) {
    issue(['route', 'service'], `'${app.route.service}' is not one of the services (${services.join(', ')})`);
  }
  if (app.connect && !services.includes(app.connect.service)) {
    issue(['connect', 'service'], `'${app.connect.service}' is not one of the services (${services.join(', ')})`);
  }
  if (dependencyNames.has(app.name)) issue(['dependencies'], 'an app cannot depend on itself');
  if (dependencyNames.size !== app.dependencies.length) issue(['dependencies'], 'lists an app twice');

  for (const [name, service] of Object.entries(app.services)) {
    if (service.healthcheckUnavailable !== undefined && app.route?.service !== name) {
      issue(['services', name, 'healthcheckUnavailable'], 'only a routed service can rely on the HTTP probe');
    }
    for (const [key, value] of Object.entries(service.environment)) {
      const path = ['services', name, 'environment', key];
      if (key in app.env) issue(path, `${key} is also in env; a key comes from one place only`);
      for (const use of findPlaceholders(value)) {
        const problem = placeholderProblem(use);
        if (problem) issue(path, problem);
        else if ((use.kind === 'host' || use.kind === 'port') && !dependencyNames.has(use.arg ?? '')) {
          issue(path, `${use.raw} refers to '${use.arg}', which is not in dependencies`);
        } else if ((use.kind === 'domain' || use.kind === 'url') && !app.route?.requiresDomain) {
          issue(path, `${use.raw} needs route.requiresDomain, or the value would be empty without a domain`);
        }
      }
    }
  }
  for (const [key, spec] of Object.entries(app.env)) {
    if (spec.fromDependency && !dependencyNames.has(spec.fromDependency.app)) {
      issue(['env', key, 'fromDependency'], `'${spec.fromDependency.app}' is not in dependencies`);
    }
  }
}

export type AppDefinition = z.output<typeof appSchema>;
export type AppDefinitionInput = z.input<typeof appSchema>;
export type ServiceDefinition = z.output<typeof serviceSchema>;
export type EnvVarDefinition = z.output<typeof envVarSchema>;
export type HealthcheckDefinition = z.output<typeof healthcheckSchema>;
export type SecretSpec = z.output<typeof secretSpecSchema>;
