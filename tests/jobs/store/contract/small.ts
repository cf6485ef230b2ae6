import { describe, expect, it } from 'vitest';
import { A, B, expectCode, type MakeWorld } from './world.js';

export function smallStoresContract(world: MakeWorld): void {
  describe('secrets', () => {
    it('keeps secrets, lists keys under a prefix (never values), deletes them, across instances', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      expect(await a.secrets.get('deploy/web-1/DB_PASSWORD')).toBeUndefined();
      await a.secrets.put('deploy/web-1/DB_PASSWORD', 'hunter2 ünïcode\nline');
      await a.secrets.put('deploy/web-1/API_KEY', 'k1');
      await a.secrets.put('deploy/web-2/API_KEY', 'k2');
      await a.secrets.put('ssh/deckhand_ed25519', '-----BEGIN KEY-----');
      expect(await b.secrets.get('deploy/web-1/DB_PASSWORD')).toBe('hunter2 ünïcode\nline');
      expect(await b.secrets.keys('deploy/web-1/')).toEqual(['deploy/web-1/API_KEY', 'deploy/web-1/DB_PASSWORD']);
      expect(await b.secrets.keys('deploy/')).toHaveLength(3);
      await b.secrets.put('deploy/web-1/API_KEY', 'k1-new');
      expect(await a.secrets.get('deploy/web-1/API_KEY')).toBe('k1-new');
      await b.secrets.delete('deploy/web-1/API_KEY');
      await b.secrets.delete('deploy/web-1/NEVER_THERE');
      expect(await a.secrets.get('deploy/web-1/API_KEY')).toBeUndefined();
      expect(await a.secrets.keys('deploy/web-1/')).toEqual(['deploy/web-1/DB_PASSWORD']);
    });

    it('putIfAbsent keeps the first value stored, whichever instance races to create it', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const got = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).secrets.putIfAbsent('ssh/deckhand_ed25519', `key-${i}`)),
      );
      expect(new Set(got).size).toBe(1);
      expect(await a.secrets.get('ssh/deckhand_ed25519')).toBe(got[0]);
      expect(await b.secrets.putIfAbsent('ssh/deckhand_ed25519', 'later')).toBe(got[0]);
      expect(await b.secrets.keys('ssh/')).toEqual(['ssh/deckhand_ed25519']);
    });
  });

  describe('inventory', () => {
    interface Server {
      readonly name: string;
      readonly host: string;
      readonly labels: Record<string, string>;
    }

    it('adds, finds, lists, updates and removes servers; a taken name is server_exists', async () => {
      const w = await world();
      const a = (await w.open(A)).inventory;
      const b = (await w.open(B)).inventory;
      const web: Server = { name: 'web', host: '10.0.0.1', labels: { role: 'app' } };
      expect(await a.list()).toEqual([]);
      expect(await a.add(web)).toEqual(web);
      await a.add({ name: 'db', host: '10.0.0.2', labels: {} } as Server);
      await expectCode(b.add({ ...web, host: 'other' } as Server), 'server_exists');
      expect(await b.find('web')).toEqual(web);
      expect(await b.find('nope')).toBeUndefined();
      expect((await b.list()).map((s) => s.name)).toEqual(['db', 'web']);
      const up = await b.update('web', (s) => ({ ...s, labels: { ...(s as Server).labels, env: 'prod' } }));
      expect(up).toEqual({ ...web, labels: { role: 'app', env: 'prod' } });
      expect(await a.find('web')).toEqual(up);
      expect(await a.update('nope', (s) => s)).toBeUndefined();
      expect(await a.remove('web')).toEqual(up);
      expect(await a.remove('web')).toBeUndefined();
      expect((await b.list()).map((s) => s.name)).toEqual(['db']);
    });

    it('loses no change when two instances change the inventory at once', async () => {
      const w = await world();
      const a = (await w.open(A)).inventory;
      const b = (await w.open(B)).inventory;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).add({ name: `s${String(i).padStart(2, '0')}` })),
      );
      expect((await a.list()).map((s) => s.name)).toEqual(
        Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`),
      );
    });
  });
}
