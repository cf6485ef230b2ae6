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
      .describe('"ask": destructive/privileged actions need approval. Default: ask for env=prod, else open.'),
    deny: z.array(policyPattern).max(200, 'at most 200 deny patterns').optional().describe('Never allowed.'),
    allow: z.array(policyPattern).max(200, 'at most 200 allow patterns').optional().describe('Allowed without asking.'),
  })
  .strict()
  .describe('Globs over command words ("*" in a word, "**" any words), e.g. "rm **".');

export type ServerPolicy = z.infer<typeof serverPolicySchema>;
