import { afterAll, beforeAll } from 'vitest';
import { loadPolicyEngine, type CommandClassifier, type PolicyEngine } from '../../src/policy/index.js';

/**
 * Loads the real bash grammar once for a test file (web-tree-sitter's runtime is per process) and frees it after.
 * The getters throw if used outside a test, so a missing beforeAll fails loudly.
 */
export function useRealEngine(): { readonly classifier: CommandClassifier; readonly engine: PolicyEngine } {
  let loaded: Awaited<ReturnType<typeof loadPolicyEngine>> | undefined;
  beforeAll(async () => {
    loaded = await loadPolicyEngine();
  });
  afterAll(() => loaded?.close());
  const need = () => {
    if (!loaded) throw new Error('the policy engine is not loaded yet: use it inside a test');
    return loaded;
  };
  return {
    get classifier() {
      return need().classifier;
    },
    get engine() {
      return need().engine;
    },
  };
}
