/**
 * Per-server policy: classification of commands and tool actions, the decision (allow, ask, deny) against a
 * server's policy and a caller's, and time-boxed grants. Pure apart from loading the bash grammar once.
 * Wiring (tools, elicitation, CLI, storage of policies and grants) lives with the callers.
 */
export { ACTION_CLASSES, worstClass, type ActionClass, type Verdict } from './classes.js';
export { classifyAction, isProduction, type ClassifiedAction, type PolicyAction } from './actions.js';
export {
  createCommandClassifier,
  type ClassifiedPart,
  type CommandClassification,
  type CommandClassifier,
} from './classify/classify.js';
export {
  decideClassified,
  effectivePolicy,
  type ApprovalItem,
  type Decision,
  type EffectivePolicy,
  type PolicyDecision,
  type PolicyLayer,
} from './decide.js';
export {
  createPolicyEngine,
  loadPolicyEngine,
  type DecideInput,
  type PolicyEngine,
  type PolicyVerdict,
} from './engine.js';
export { activeGrants, grantSchema, makeGrant, MAX_GRANT_MINUTES, type Grant, type GrantRequest } from './grants.js';
export { compilePattern, exactPattern, type CompiledPattern } from './patterns.js';
export { POLICY_MODES, policyPattern, serverPolicySchema, type PolicyMode, type ServerPolicy } from './schema.js';
export { loadBashGrammar, type BashGrammar } from './shell/grammar.js';
export { createShellParser } from './shell/parse-script.js';
export type { ShellParser, ShellScript, ShellUnit, ShellWord } from './shell/types.js';
export { allHttpTokens, DEFAULT_TOKEN_NAME, parseHttpTokens, type HttpToken } from './tokens.js';
