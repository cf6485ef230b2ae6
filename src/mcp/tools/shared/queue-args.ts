import { z } from 'zod';
import { DEFAULT_BACKOFF, MAX_ATTEMPTS } from '../../../jobs/index.js';
import type { QueuePolicies } from '../../../remote-bash/index.js';
import { matching } from './schemas.js';

const PRIORITY = { high: 0, normal: 1, low: 2 } as const;
const MONTH_S = 30 * 24 * 3600;
const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;
const RETRY_ON_RE = /^(exit_code:\d{1,3}|unreachable|timeout|lost)$/;

/**
 * Queue policy arguments (remote-bash; a factory, never a shared object: see schemas.ts). Descriptions are short:
 * tools/list rides along in every conversation. tools.md says the rest.
 */
export const queueArgs = () => ({
  not_before: matching(ISO_RE, 'must be an ISO time like "2026-12-07T03:00:00Z"')
    .optional()
    .describe('ISO time to start at.'),
  delay_s: z.number().int().min(1).optional().describe('Or start in N s.'),
  priority: z.enum(['high', 'normal', 'low']).optional(),
  attempts: z.number().int().min(1).optional().describe('Tries in all (see retry_on).'),
  retry_on: z
    .array(matching(RETRY_ON_RE, 'must be "exit_code:N", "unreachable", "timeout" or "lost"'))
    .optional()
    .describe('Failures retried: exit_code:N, unreachable, timeout, lost (if safe twice).'),
  backoff: z.enum(['exponential', 'fixed']).optional().describe('Default: backoff_s (10) doubling to 6 min.'),
  backoff_s: z.number().min(0).optional(),
});

type QueueArgs = { [K in keyof ReturnType<typeof queueArgs>]?: z.infer<ReturnType<typeof queueArgs>[K]> };

export type QueueArgsResult =
  | { readonly ok: true; readonly policies: QueuePolicies | undefined }
  | { readonly ok: false; readonly issues: { path: string[]; message: string }[] };

/** The arguments as the kernel's policies, or the rules they break (answered through the argument gate). */
export function queuePolicies(a: QueueArgs, now: number): QueueArgsResult {
  const issues: { path: string[]; message: string }[] = [];
  if (a.delay_s !== undefined && a.delay_s > MONTH_S)
    issues.push({ path: ['delay_s'], message: `at most ${MONTH_S} (30 days)` });
  if (a.attempts !== undefined && a.attempts > MAX_ATTEMPTS)
    issues.push({ path: ['attempts'], message: `at most ${MAX_ATTEMPTS}` });
  if (a.backoff_s !== undefined && a.backoff_s > 86_400)
    issues.push({ path: ['backoff_s'], message: 'at most 86400 (a day)' });
  if (a.not_before !== undefined && a.delay_s !== undefined)
    issues.push({ path: ['delay_s'], message: 'give not_before or delay_s, not both' });
  const retryOn = a.retry_on ?? [];
  const attempts = a.attempts ?? 1;
  if (attempts > 1 && retryOn.length === 0)
    issues.push({
      path: ['retry_on'],
      message: 'attempts > 1 retries only the failures retry_on names: give e.g. ["exit_code:75"]',
    });
  if (retryOn.length > 0 && attempts < 2)
    issues.push({ path: ['attempts'], message: 'retry_on needs attempts of 2 or more (tries in all)' });
  if ((a.backoff !== undefined || a.backoff_s !== undefined) && attempts < 2)
    issues.push({ path: ['backoff'], message: 'backoff applies between tries: give attempts of 2 or more' });
  if (issues.length > 0) return { ok: false, issues };
  const initial = a.backoff_s ?? DEFAULT_BACKOFF.initial_s;
  const policies: QueuePolicies = {
    ...(a.priority !== undefined ? { priority: PRIORITY[a.priority] } : {}),
    ...(a.not_before !== undefined ? { not_before: Date.parse(a.not_before) } : {}),
    ...(a.delay_s !== undefined ? { not_before: now + a.delay_s * 1000 } : {}),
    ...(attempts > 1
      ? {
          retry: {
            attempts,
            backoff: {
              kind: a.backoff ?? DEFAULT_BACKOFF.kind,
              initial_s: initial,
              max_s: Math.max(DEFAULT_BACKOFF.max_s, initial),
              jitter: DEFAULT_BACKOFF.jitter,
            },
            retry_on: retryOn.filter((r) => r !== 'lost'),
            ...(retryOn.includes('lost') ? { idempotent: true } : {}),
          },
        }
      : {}),
  };
  return { ok: true, policies: Object.keys(policies).length > 0 ? policies : undefined };
}
