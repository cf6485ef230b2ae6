import { beforeAll, describe, expect, it } from 'vitest';
import { hetznerConfigFromEnv } from '../../src/providers/hetzner/client.js';
import { HetznerProvider } from '../../src/providers/hetzner/hetzner-provider.js';

/*
 * Read-only smoke test against the real Hetzner Cloud API: it never creates anything. It is the `live` project, run
 * only when asked (`npm run test:live`, never by `npm test`), and then it needs HCLOUD_TOKEN and api.hetzner.cloud.
 */
const config = hetznerConfigFromEnv(process.env);

describe('real Hetzner Cloud API (read-only)', () => {
  beforeAll(() => {
    if (!process.env.HCLOUD_TOKEN)
      throw new Error(
        'npm run test:live needs HCLOUD_TOKEN: a read-only API token of a Hetzner Cloud project, and access to api.hetzner.cloud.',
      );
  });

  it('lists server types with prices, and locations', async () => {
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
