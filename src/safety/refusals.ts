import type { CallVerdict } from './decide.js';
import type { AdmitRequest, ApprovalView, Refusal } from './types.js';

/** Refused by policy: a deny pattern, a read-only server or token. Says which part, which rule, and who can change it. */
export function deniedRefusal(req: AdmitRequest, verdict: CallVerdict): Refusal {
  const servers = [...new Set(req.targets.map((t) => t.server).filter((s) => s !== null))];
  return {
    code: 'policy_denied',
    message: `Refused by policy: ${req.tool}${servers.length ? ` on ${servers.join(', ')}` : ''} does not run.\n${verdict.reasons.map((r) => `- ${r}`).join('\n')}`,
    hint:
      'Nothing was run. Use a read-only way to get what you need, or ask the user: a person can change the policy with ' +
      '`deckhand servers policy NAME …` on the machine deckhand runs on. A grant or approval never lifts a deny.',
  };
}

/** Waiting for a person: how they approve it, and what the assistant does meanwhile. */
export function pendingRefusal(view: ApprovalView, ttlMs: number, askError?: string): Refusal {
  const minutes = Math.max(1, Math.round(ttlMs / 60_000));
  return {
    code: 'approval_pending',
    message:
      `Not run yet: ${view.what} needs a person's approval (${view.id}).\n` +
      `${view.reasons
        .filter((r) => r.includes('needs approval'))
        .map((r) => `${r}:\n`)
        .join('')}` +
      `${view.items.map((i) => `- ${i.text}: ${i.why || i.class} (${i.class})`).join('\n')}` +
      (askError ? `\nThe client could not ask the person (${askError}).` : ''),
    hint:
      `Ask the user to approve it on the machine deckhand runs on: \`deckhand approve ${view.id}\` ` +
      `(add --for 30m to allow the same steps for 30 minutes), or to refuse it with \`deckhand deny ${view.id}\`. ` +
      `It must be decided by ${view.expires_at} (${minutes} min). Then make this same call again: it runs once approved. ` +
      `Read the resource deckhand://approvals/${view.id} to see whether it was decided.`,
    approval: view,
  };
}

/** A person said no (through the client, the CLI or the dashboard). */
export function approvalRefusal(
  code: 'approval_declined' | 'approval_denied',
  view: ApprovalView,
  how?: string,
): Refusal {
  const said =
    how === 'cancelled' ? 'cancelled the question' : how === 'unticked' ? 'did not tick "Run it"' : 'declined';
  return {
    code,
    message:
      code === 'approval_declined'
        ? `Not run: the person ${said} (${view.id}): ${view.what}.`
        : `Not run: ${view.decided_by ?? 'a person'} denied ${view.id} at ${view.decided_at ?? '?'}: ${view.what}.`,
    hint:
      code === 'approval_declined'
        ? 'Nothing was run. Do not retry it; ask the user what they want instead.'
        : `Nothing was run. The same call stays refused until ${view.expires_at}; ask the user what they want instead.`,
    approval: view,
  };
}
