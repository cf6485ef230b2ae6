import type { ProvisioningConfig } from '../config.js';
import { DeckhandError } from '../errors.js';
import { HetznerProvider, type Provider, type ProviderEventListener } from '../providers/index.js';

/** Builds a provider client; `onEvent` receives retry notices (a job routes them to its log). */
export type ProviderFactory = (onEvent?: ProviderEventListener) => Provider;

export function hetznerFactory(config: ProvisioningConfig): ProviderFactory | undefined {
  const { token, endpoint } = config.hetzner;
  if (!token) return undefined;
  return (onEvent) =>
    new HetznerProvider({ token, endpoint, pollIntervalMs: config.actionPollMs, ...(onEvent ? { onEvent } : {}) });
}

export function missingProviderError(): DeckhandError {
  return new DeckhandError('missing_token', 'No Hetzner Cloud API token is configured.', {
    hint: "Set HCLOUD_TOKEN (or HETZNER_TOKEN) in deckhand's environment to a Read & Write token from the Hetzner Console (project → Security → API tokens), then restart deckhand.",
  });
}
