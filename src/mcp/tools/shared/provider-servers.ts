import { z } from 'zod';
import { errorMessage } from '../../../errors.js';
import type { ToolDeps } from './deps.js';

export const providerServerShape = z.object({
  name: z.string(),
  id: z.string(),
  status: z.string(),
  ipv4: z.string().nullable(),
  server_type: z.string(),
  location: z.string(),
  price_monthly: z.object({ net: z.number(), gross: z.number(), currency: z.string() }).optional(),
  created_by_deckhand: z.boolean(),
  registered: z.boolean(),
});

/** list-servers' provider part: a failing provider is reported beside the inventory, never instead of it. */
export async function providerServers(
  deps: Pick<ToolDeps, 'provisioning'>,
  signal: AbortSignal,
): Promise<{ structured: Record<string, unknown>; text: string }> {
  try {
    const list = await deps.provisioning.listProviderServers(signal);
    const lines = list.map(
      (s) =>
        `${s.name}\t${s.status}\t${s.ipv4 ?? '-'}\t${s.server_type}/${s.location}\t` +
        `${s.price_monthly ? `${s.price_monthly.gross.toFixed(2)} ${s.price_monthly.currency}/month` : '-'}` +
        `${s.created_by_deckhand ? '' : '\t(not created by deckhand)'}${s.registered ? '' : '\t(not registered)'}`,
    );
    return {
      structured: { provider_servers: list },
      text: list.length ? `At Hetzner Cloud:\n${lines.join('\n')}` : 'No servers at Hetzner Cloud.',
    };
  } catch (err) {
    const message = errorMessage(err);
    return { structured: { provider_servers: [], provider_error: message }, text: `Hetzner Cloud: ${message}` };
  }
}
