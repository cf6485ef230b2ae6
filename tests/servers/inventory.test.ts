import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeckhandError } from '../../src/errors.js';
import { FileInventoryStore } from '../../src/jobs/store/sqlite/inventory.js';
import { Inventory } from '../../src/servers/inventory.js';
import type { ServerRecord } from '../../src/servers/types.js';
import { tempHome } from '../helpers/home.js';
import { childModule } from '../helpers/child-module.js';

const INVENTORY_JS = await childModule('src/servers/inventory.ts');
const FILE_STORE_JS = await childModule('src/jobs/store/sqlite/inventory.ts');

/** The embedded mode's inventory: inventory.json in the home, through the store the servers feature is given. */
const inventoryOf = (home: string) => new Inventory(new FileInventoryStore<ServerRecord>(home));

function record(name: string): ServerRecord {
  return {
    name,
    host: '127.0.0.1',
    port: 22,
    user: 'root',
    auth: { private_key_path: '/nonexistent/key' },
    host_key_fingerprint: 'SHA256:n5Kt0pWcQw1dL3ZpQbXfPpLO0x4oF9hNE0u5kIuQ7xA',
    labels: {},
    added_at: new Date().toISOString(),
  };
}

/** A separate deckhand-like process adding `count` servers through the built Inventory. */
function addInChild(home: string, prefix: string, count: number): Promise<{ code: number | null; stderr: string }> {
  const script = `
    const { Inventory } = await import(${JSON.stringify(INVENTORY_JS)});
    const { FileInventoryStore } = await import(${JSON.stringify(FILE_STORE_JS)});
    const inv = new Inventory(new FileInventoryStore(process.argv[1]));
    const [prefix, count] = [process.argv[2], Number(process.argv[3])];
    for (let i = 0; i < count; i++) {
      await inv.add({ name: prefix + '-' + i, host: '10.0.0.' + (i % 250), port: 22, user: 'root',
        auth: { private_key_path: '/k' }, host_key_fingerprint: 'SHA256:' + 'A'.repeat(43), labels: {}, added_at: new Date().toISOString() });
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, home, prefix, String(count)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

async function rejection(p: Promise<unknown>): Promise<DeckhandError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeckhandError);
  return err as DeckhandError;
}

describe('Inventory', () => {
  let tmp: { dir: string; cleanup(): void };
  let home: string;
  beforeEach(() => {
    tmp = tempHome();
    home = path.join(tmp.dir, 'deckhand-home');
  });
  afterEach(() => tmp.cleanup());

  it('keeps every write when two processes add 100 servers each at once', async () => {
    const results = await Promise.all([addInChild(home, 'alpha', 100), addInChild(home, 'beta', 100)]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const servers = await inventoryOf(home).list();
    expect(servers).toHaveLength(200);
    const names = new Set(servers.map((s) => s.name));
    for (let i = 0; i < 100; i++) {
      expect(names.has(`alpha-${i}`)).toBe(true);
      expect(names.has(`beta-${i}`)).toBe(true);
    }
    const file = path.join(home, 'inventory.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).servers).toHaveLength(200);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    // No lock directory or half-written temporary file is left behind.
    expect(fs.readdirSync(home)).toEqual(['inventory.json']);
  });

  it('keeps every write when one process adds and reads at the same time', async () => {
    const inv = inventoryOf(home);
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      ops.push(inv.add(record(`web-${i}`)));
      ops.push(inv.list());
      ops.push(inv.find(`web-${i}`));
    }
    await Promise.all(ops);
    expect(await inv.list()).toHaveLength(40);
    expect(await inventoryOf(home).list()).toHaveLength(40);
  });

  it('answers an unknown name with the known ones, and refuses a duplicate', async () => {
    const inv = inventoryOf(home);
    expect((await rejection(inv.get('nope'))).userMessage).toMatch(/No servers are registered yet.*add-server/);
    await inv.add(record('web-1'));
    await inv.add(record('db-1'));
    const unknown = await rejection(inv.get('nope'));
    expect(unknown.code).toBe('unknown_server');
    expect(unknown.userMessage).toMatch(/No server named "nope".*Known servers: db-1, web-1/);
    const dup = await rejection(inv.add(record('web-1')));
    expect(dup.code).toBe('server_exists');
    expect(dup.userMessage).toMatch(/remove-server/);
    expect((await inv.remove('web-1'))?.name).toBe('web-1');
    expect(await inv.remove('web-1')).toBeUndefined();
    expect((await inv.list()).map((s) => s.name)).toEqual(['db-1']);
  });

  it('refuses a corrupt inventory file with a clear error and never overwrites it', async () => {
    fs.mkdirSync(home, { mode: 0o700 });
    const file = path.join(home, 'inventory.json');
    const corrupt = '{"version": 1, "servers": [{"name": "web-1", "host": "10.0.0.1"'; // cut off mid-write by hand
    fs.writeFileSync(file, corrupt, { mode: 0o600 });
    const inv = inventoryOf(home);
    for (const op of [
      () => inv.list(),
      () => inv.get('web-1'),
      () => inv.add(record('db-1')),
      () => inv.remove('web-1'),
    ]) {
      const err = await rejection(op());
      expect(err.code).toBe('store_corrupt');
      expect(err.userMessage).toContain(file);
      expect(err.userMessage).toMatch(/not valid JSON.*will not overwrite/);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(corrupt);
  });

  it('refuses valid JSON of the wrong shape instead of failing obscurely or overwriting it', async () => {
    fs.mkdirSync(home, { mode: 0o700 });
    const file = path.join(home, 'inventory.json');
    for (const content of ['{"version": 1}', '{"servers": {"web-1": {}}}', '[1, 2]']) {
      fs.writeFileSync(file, content);
      const inv = inventoryOf(home);
      for (const op of [() => inv.list(), () => inv.add(record('db-1'))]) {
        const err = await rejection(op());
        expect(err.code, content).toBe('store_corrupt');
        expect(err.userMessage).toContain(file);
      }
      expect(fs.readFileSync(file, 'utf8')).toBe(content);
    }
  });

  it('does not bring back servers from a file that was moved aside while it ran', async () => {
    const inv = inventoryOf(home);
    await inv.add(record('old-1'));
    const file = path.join(home, 'inventory.json');
    fs.renameSync(file, `${file}.bak`);
    await inv.add(record('new-1'));
    expect((await inv.list()).map((s) => s.name)).toEqual(['new-1']);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).servers.map((s: ServerRecord) => s.name)).toEqual(['new-1']);
  });

  it("sees another process's re-pin even when size and mtime stay the same", async () => {
    const a = inventoryOf(home);
    const b = inventoryOf(home);
    const first = record('web-1');
    await a.add(first);
    expect((await a.get('web-1')).host_key_fingerprint).toBe(first.host_key_fingerprint);
    const file = path.join(home, 'inventory.json');
    const before = fs.statSync(file);
    // b re-pins web-1 to a key of the same length: the file keeps its size, and on a filesystem with coarse
    // timestamps (or within one tick) its mtime too, which utimes reproduces here.
    await b.remove('web-1');
    await b.add({ ...first, host_key_fingerprint: `SHA256:${'B'.repeat(43)}` });
    expect(fs.statSync(file).size).toBe(before.size);
    fs.utimesSync(file, before.atime, before.mtime);
    expect((await a.get('web-1')).host_key_fingerprint).toBe(`SHA256:${'B'.repeat(43)}`);
  });

  it('sees a hand edit made in place, and hands out copies a caller may change', async () => {
    const inv = inventoryOf(home);
    await inv.add(record('web-1'));
    const mine = await inv.get('web-1');
    (mine.labels as Record<string, string>).role = 'changed-by-a-caller';
    expect((await inv.get('web-1')).labels).toEqual({});
    // An editor that writes the file in place keeps its inode: the change must still be read.
    const file = path.join(home, 'inventory.json');
    const ino = fs.statSync(file).ino;
    // The same size: only the times tell.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"127.0.0.1"', '"127.0.0.2"'));
    expect(fs.statSync(file).ino).toBe(ino);
    expect((await inv.get('web-1')).host).toBe('127.0.0.2');
  });
});
