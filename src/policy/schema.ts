import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { compilePattern, MAX_PATTERN_CHARS } from './patterns.js';

export const POLICY_MODES = Object.freeze(['read-only', 'ask', 'open'] as const);
export type PolicyMode = (typeof POLICY_MODES)[number];

/** A pattern as add-server and set-server-policy take it; the message of a bad one says what is wrong. */
export const policyPattern = z
  .string()
  .min(1, 'a pattern needs at least one word')
  .max(MAX_PATTERN_CHARS, `patterns are at most ${MAX_PATTERN_CHARS} characters`)
  .superRefine((source, ctx) => {
    try {
      compilePattern(source);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: errorMessage(err) });
    }
  });

export const serverPolicySchema = z
  .object({
    mode: z
      .enum(POLICY_MODES)
      .optional()
      .describe(
        '"read-only": only commands classified read-only, no file writes, deploys or deletes. "ask": destructive and ' +
          'privileged actions need a person\'s approval. "open": everything runs. Without a mode, servers labelled ' +
          'env=prod get "ask" and others "open".',
      ),
    deny: z
      .array(policyPattern)
      .max(200, 'at most 200 deny patterns')
      .optional()
      .describe('Never allowed, whatever the mode, allow list or grants, e.g. "rm -rf **", "systemctl stop *".'),
    allow: z
      .array(policyPattern)
      .max(200, 'at most 200 allow patterns')
      .optional()
      .describe(
        'Allowed without asking, even on a read-only server, e.g. "systemctl restart app". Each part of a command ' +
          'line must match on its own; a pattern matches the words as written (with sudo, env … in front).',
      ),
  })
  .strict()
  .describe(
    'Who may do what on this server. Patterns are globs over command words: "*" within a word, "**" for any words.',
  );

export type ServerPolicy = z.infer<typeof serverPolicySchema>;
