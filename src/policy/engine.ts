import { classifyAction, type ClassifiedAction, type PolicyAction } from './actions.js';
import { createCommandClassifier, type CommandClassifier } from './classify/classify.js';
import { decideClassified, effectivePolicy, type PolicyDecision, type PolicyLayer } from './decide.js';
import type { Grant } from './grants.js';
import type { ServerPolicy } from './schema.js';
import { loadBashGrammar } from './shell/grammar.js';
import { createShellParser } from './shell/parse-script.js';

export interface DecideInput {
  readonly server: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly policy?: ServerPolicy | undefined;
  };
  /** The caller's own policy (a named HTTP token's), applied on top of the server's: the stricter wins. */
  readonly caller?: { readonly label: string; readonly policy: ServerPolicy } | undefined;
  readonly action: PolicyAction;
  /** Grants as stored; expired ones and other servers' are ignored here. */
  readonly grants: readonly Grant[];
  readonly now: Date;
}

export interface PolicyVerdict extends PolicyDecision {
  readonly action: ClassifiedAction;
}

/** Classification plus decision. Synchronous and without side effects once built. */
export interface PolicyEngine {
  classify(action: PolicyAction, labels: Readonly<Record<string, string>>): ClassifiedAction;
  decide(input: DecideInput): PolicyVerdict;
}

export function createPolicyEngine(deps: { readonly classifier: CommandClassifier }): PolicyEngine {
  const classify = (action: PolicyAction, labels: Readonly<Record<string, string>>) =>
    classifyAction(action, labels, deps.classifier);
  return {
    classify,
    decide(input) {
      const action = classify(input.action, input.server.labels);
      const layers: PolicyLayer[] = [
        { label: `server ${input.server.name}`, policy: effectivePolicy(input.server.policy, input.server.labels) },
      ];
      if (input.caller) layers.push({ label: input.caller.label, policy: effectivePolicy(input.caller.policy, {}) });
      const decision = decideClassified({
        action,
        server: input.server.name,
        layers,
        grants: input.grants,
        now: input.now,
      });
      return { ...decision, action };
    },
  };
}

/**
 * Loads the bash grammar and builds an engine on it: what the composition root calls once at start-up.
 * `close()` frees the parser.
 */
export async function loadPolicyEngine(): Promise<{
  engine: PolicyEngine;
  classifier: CommandClassifier;
  close(): void;
}> {
  const grammar = await loadBashGrammar();
  const classifier = createCommandClassifier(createShellParser(grammar));
  return { engine: createPolicyEngine({ classifier }), classifier, close: () => grammar.close() };
}
