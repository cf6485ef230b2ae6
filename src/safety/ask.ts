import { MAX_GRANT_MINUTES } from '../policy/index.js';
import type { ApprovalRecord } from '../jobs/store/contract.js';
import type { ApprovalAnswer, ApprovalQuestion, ApprovalView } from './types.js';

/** What the person answered, read strictly: anything but an explicit yes is a no. */
export interface ReadAnswer {
  readonly approved: boolean;
  /** How the person said no: declined the form, cancelled it, or left "Run it" unticked. */
  readonly how: 'approved' | 'declined' | 'cancelled' | 'unticked';
  readonly minutes: number;
  readonly pattern: string | undefined;
}

/**
 * The elicitation form for one approval request: what will run, where, why it needs approval, who asks; a box to
 * run it, and an optional "allow for N minutes" that makes a grant (with an editable pattern for a single part).
 */
export function approvalQuestion(view: ApprovalView, approval: ApprovalRecord): ApprovalQuestion {
  const where = view.servers.length ? view.servers.join(', ') : 'no server';
  const lines = view.items.map((i) => `  ${i.text}${i.server && view.servers.length > 1 ? `   (on ${i.server})` : ''}`);
  const why = view.items.map((i) => `- ${i.why || i.class} (${i.class})`);
  const single = view.items.length === 1 && view.items[0]!.pattern !== null ? view.items[0]!.pattern : null;
  const message = [
    `deckhand asks before ${view.tool} does this on ${where}:`,
    '',
    ...lines,
    '',
    'Why it needs your approval:',
    ...why,
    ...view.reasons.filter((r) => /needs approval|refused/.test(r)).map((r) => `(${r})`),
    '',
    `Asked by ${view.requested_by}. Approval ${approval.id}.`,
    'Tick "Run it" and accept to run it once. To let the same steps through for a while, set minutes.',
  ].join('\n');
  const properties: Record<string, unknown> = {
    approve: { type: 'boolean', title: 'Run it', default: false },
    allow_minutes: {
      type: 'integer',
      title: 'Also allow this without asking for N minutes (0: just this once)',
      minimum: 0,
      maximum: MAX_GRANT_MINUTES,
      default: 0,
    },
  };
  if (single !== null)
    properties['pattern'] = {
      type: 'string',
      title: 'Pattern to allow for those minutes ("*" any word part, "**" any words)',
      default: single,
      maxLength: 500,
    };
  return { message, schema: { type: 'object', properties, required: ['approve'] } };
}

export function readAnswer(answer: ApprovalAnswer): ReadAnswer {
  const none = { approved: false, minutes: 0, pattern: undefined } as const;
  if (answer.action === 'decline') return { ...none, how: 'declined' };
  if (answer.action !== 'accept') return { ...none, how: 'cancelled' };
  const c = answer.content ?? {};
  if (c['approve'] !== true) return { ...none, how: 'unticked' };
  const m = c['allow_minutes'];
  const minutes = typeof m === 'number' && Number.isInteger(m) && m > 0 ? Math.min(m, MAX_GRANT_MINUTES) : 0;
  const p = c['pattern'];
  return {
    approved: true,
    how: 'approved',
    minutes,
    pattern: typeof p === 'string' && p.trim() ? p.trim() : undefined,
  };
}
