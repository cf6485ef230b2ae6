import path from 'node:path';
import { z } from 'zod';
import { parseHttpTokens, type HttpToken } from './policy/tokens.js';

/**
 * The environment variables deckhand reads, each with its bounds and default: what a value may be is said here, what
 * it becomes (the frozen Config) in config.ts. Every message names what was expected, so loadConfig can put the
 * variable and its value in front of it.
 */

/** Groups of MCP tools, chosen with DECKHAND_TOOLSETS (mcp/tools/index.ts says which tool is in which). */
export const TOOLSETS = ['commands', 'jobs', 'templates', 'servers', 'provisioning', 'apps', 'files'] as const;
export type Toolset = (typeof TOOLSETS)[number];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const EnvSchema = z.object({
  DECKHAND_HOME: z.string().min(1).optional(),
  DECKHAND_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DECKHAND_LOG_FILE: z.string().min(1).optional(),
  DECKHAND_CONNECT_TIMEOUT_S: int(1, 300).default(10),
  DECKHAND_KEEPALIVE_S: int(1, 3600).default(15),
  DECKHAND_OUTPUT_HEAD_LINES: int(0, 100_000).default(100),
  DECKHAND_OUTPUT_TAIL_LINES: int(0, 100_000).default(200),
  DECKHAND_OUTPUT_MAX_BYTES: int(1024, 64 * 1024 * 1024).default(64 * 1024),
  DECKHAND_HTTP_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  DECKHAND_HTTP_ALLOWED_HOSTS: z.string().optional(),
  DECKHAND_HTTP_ALLOWED_ORIGINS: z.string().optional(),
  DECKHAND_HTTP_SESSION_IDLE_S: int(1, 7 * 24 * 3600).default(1800),
  DECKHAND_HTTP_TOKENS: z
    .string()
    .transform((text, ctx): readonly HttpToken[] => {
      const r = parseHttpTokens(text);
      if ('error' in r) {
        ctx.addIssue({ code: 'custom', message: r.error });
        return z.NEVER;
      }
      return r.tokens;
    })
    .optional(),
  DECKHAND_APPROVAL_TTL_S: int(10, 24 * 3600).default(600),
  DECKHAND_AUDIT_RETAIN_DAYS: int(0, 36_500).default(365),
  DECKHAND_MAX_JOBS: int(0, 1024).default(64),
  DECKHAND_MAX_JOBS_PER_SERVER: int(1, 256).default(4),
  DECKHAND_JOB_TIMEOUT_S: int(1, 30 * 24 * 3600).default(3600),
  DECKHAND_JOB_LOG_MAX_BYTES: int(64 * 1024, 64 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  DECKHAND_JOBS_RETAIN_DAYS: int(0, 36_500).default(90),
  DECKHAND_OWNER_TIMEOUT_S: int(2, 3600).default(15),
  DECKHAND_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a PostgreSQL URL like postgres://user:password@host:5432/deckhand')
    .optional(),
  DECKHAND_SECRET_KEY: z.string().optional(),
  DECKHAND_JOB_LOGS_RETAIN_DAYS: int(1, 36_500).default(30),
  DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES: int(64 * 1024 * 1024, Number.MAX_SAFE_INTEGER).default(8 * 1024 * 1024 * 1024),
  DECKHAND_REMOTE_KEEP_FAILED_H: int(0, 24 * 365).default(24),
  DECKHAND_TASKS: z.enum(['on', 'off']).default('on'),
  DECKHAND_REMOTE_AGENT: z.enum(['on', 'off']).default('on'),
  HCLOUD_TOKEN: z.string().optional(),
  HETZNER_TOKEN: z.string().optional(),
  HCLOUD_ENDPOINT: z.string().url('must be a URL like https://api.hetzner.cloud/v1').optional(),
  DECKHAND_CONFIRM: z.enum(['auto', 'always', 'never']).default('auto'),
  DECKHAND_PROVIDER_POLL_MS: int(10, 60_000).default(1000),
  DECKHAND_TRAEFIK_IMAGE: z.string().max(512).optional(),
  DECKHAND_RESOLVE_IMAGE: z.enum(['always', 'changed', 'never']).default('changed'),
  DECKHAND_IMAGE_OVERRIDES: z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not valid JSON (${(err as Error).message})` });
        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        z.string().min(1),
        z.union([
          z.string().min(1),
          z
            .object({
              image: z.string().min(1),
              // Its shape is the catalogue's: checked where the override is applied (apps/render), named there.
              healthcheck: z.record(z.string(), z.unknown()).optional(),
              command: z.array(z.string()).min(1).optional(),
            })
            .strict(),
        ]),
        { invalid_type_error: 'expected a JSON object mapping image references to substitutes' },
      ),
    )
    .optional(),
  DECKHAND_DEPLOY_WAIT_S: int(10, 24 * 3600).default(900),
  DECKHAND_DASHBOARD: z.enum(['full', 'readonly', 'off']).default('full'),
  DECKHAND_TOOLSETS: z
    .string()
    .transform((v) => commaList(v.toLowerCase()))
    .superRefine((list, ctx) => {
      const unknown = list.filter((g) => !(TOOLSETS as readonly string[]).includes(g));
      if (unknown.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `unknown group${unknown.length > 1 ? 's' : ''} ${unknown.map((g) => `"${g}"`).join(', ')}; the groups are ${TOOLSETS.join(', ')}`,
        });
      else if (list.length === 0)
        ctx.addIssue({ code: 'custom', message: `name one or more of ${TOOLSETS.join(', ')}` });
    })
    .optional(),
  DECKHAND_FILES_ROOT: z
    .string()
    .refine((p) => path.isAbsolute(p), 'must be an absolute path, e.g. /srv/deckhand-files')
    .optional(),
  DECKHAND_SSH_CONFIG: z
    .string()
    .refine((p) => path.isAbsolute(p), 'must be an absolute path, e.g. /home/me/.ssh/config')
    .optional(),
});

export function commaList(value: string | undefined): readonly string[] {
  return Object.freeze(
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
