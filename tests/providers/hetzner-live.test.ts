import { describe, expect, it } from 'vitest';
import { hetznerConfigFromEnv } from '../../src/providers/hetzner/client.js';
import { HetznerProvider } from '../../src/providers/hetzner/hetzner-provider.js';

/*
 * Read-only smoke test against the real Hetzner Cloud API: it never creates anything. It runs only with
 * HCLOUD_TOKEN (or HETZNER_TOKEN) set and is reported as skipped otherwise; offline machines skip it.
 */
const config = hetznerConfigFromEnv(process.env);

describe('real Hetzner Cloud API (read-only)', () => {
  it.skipIf(!process.env.HCLOUD_TOKEN)('lists server types with prices, and locations', async () => {
    const provider = new HetznerProvider({ ...config, retry: { maxAttempts: 2 } });
    const [types, locations] = await Promise.all([provider.listServerTypes(), provider.listLocations()]);
    expect(locations.length).toBeGreaterThan(0);
    expect(types.length).toBeGreaterThan(0);
    const names = new Set(locations.map((l) => l.name));
    const priced = types.filter((t) => !t.deprecated && t.prices.length > 0);
    expect(priced.length).toBeGreaterThan(0);
    for (const t of priced) {
      for (const p of t.prices) {
        expect(names.has(p.location)).toBe(true);
        expect(p.monthly.gross).toBeGreaterThanOrEqual(p.monthly.net);
      }
    }
  });
});
