import { isIP } from 'node:net';
import { z } from 'zod';
import { ENV_NAME_RE } from '../../../remote-bash/index.js';
import { byteLimitedString } from './byte-limit.js';

/**
 * A rule checked by the argument gate (same message as a regex) but not advertised as a `pattern`: for values whose
 * description already says the rule in words, or that name something the model looks up anyway (a registered
 * server), the regex would only lengthen tools/list, which rides along in every conversation.
 */
export const matching = (re: RegExp, message: string) => z.string().refine((v) => re.test(v), message);

export const serverName = matching(
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
  'must be a lowercase slug: a-z, 0-9 and "-", 1 to 63 characters, e.g. "web-1"',
);

// Schemas used more than once in one tool are factories: a zod object reused within a schema is emitted as a `$ref`
// to its first use, which several LLM providers reject in function parameters.

export const labels = () =>
  z
    .record(
      z.string().regex(/^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/, 'label keys are lowercase slugs (a-z 0-9 . _ / -)'),
      z.string().max(256, 'label values are at most 256 characters'),
    )
    .refine((r) => Object.keys(r).length <= 32, 'at most 32 labels');

// Capped so a hostile name cannot be echoed back at length in an error ("variable … is not set").
export const envName = () =>
  z
    .string()
    .max(255, 'environment variable names are at most 255 characters')
    .refine((v) => ENV_NAME_RE.test(v), 'must be an environment variable name like MY_VAR');

export const envMap = () =>
  z
    .record(envName(), byteLimitedString(32 * 1024))
    .refine((r) => Object.keys(r).length <= 200, 'at most 200 variables');

/** A path on a server: absolute, as SFTP and the job scripts take it. */
export const remotePath = z.string().min(1).max(4096).regex(/^\//, 'must be an absolute path starting with "/"');

export const publicServerShape = {
  name: z.string(),
  host: z.string(),
  port: z.number(),
  user: z.string(),
  host_key_fingerprint: z.string(),
  labels: z.record(z.string()),
  provider: z.object({ name: z.string(), id: z.union([z.string(), z.number()]) }).optional(),
  policy: z
    .object({
      mode: z.enum(['read-only', 'ask', 'open']),
      default: z.string().optional(),
      deny: z.array(z.string()).optional(),
      allow: z.array(z.string()).optional(),
    })
    .optional(),
  via: z.string().optional(),
  sudo_password_env: z.string().optional(),
};

// A host is checked here rather than left to DNS: shell metacharacters, spaces or a leading "-" (read as an
// option by anything that ever hands the host to a command line) have no business in it.
const HOSTNAME_RE = /^(?!-)[A-Za-z0-9_-]+(?:\.(?!-)[A-Za-z0-9_-]+)*\.?$/;
export const hostName = z
  .string()
  .min(1)
  .max(253)
  .refine(
    (h) => isIP(h) !== 0 || HOSTNAME_RE.test(h),
    'must be a host name (letters, digits, "-", "_" and dots) or an IP address, e.g. "web-1.example.com" or "203.0.113.7"',
  );
