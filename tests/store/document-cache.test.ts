import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AtomicJsonFile, SharedDocument } from '../../src/store/document.js';
import { tempHome } from '../helpers/home.js';
import { childModule } from '../helpers/child-module.js';

const DOCUMENT_JS = await childModule('src/store/document.ts');

interface Doc {
  items: string[];
}

/** Another process changing the document (`change` is the body of a function of `d`), as another deckhand would. */
function writeFromAnotherProcess(file: string, change: string): void {
  const script = `
    const { SharedDocument } = await import(${JSON.stringify(DOCUMENT_JS)});
    const doc = new SharedDocument(process.argv[1], () => ({ items: [] }));
    await doc.update((d) => { ${change} });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

const onDisk = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Doc;

// Every test works in a fresh directory of its own; spies are undone after each.
let tmp: { dir: string; cleanup(): void };
let file: string;
beforeEach(() => {
  tmp = tempHome();
  file = path.join(tmp.dir, 'doc.json');
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

describe('SharedDocument cache', () => {
  it('does not parse the file again for an update after its own write, but does after another process wrote', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    const reads = vi.spyOn(AtomicJsonFile.prototype, 'readStamped');
    await doc.update((d) => void d.items.push('a'));
    await doc.update((d) => void d.items.push('b'));
    expect(await doc.read()).toEqual({ items: ['a', 'b'] });
    expect(reads).toHaveBeenCalledTimes(0);

    writeFromAnotherProcess(file, "d.items.push('theirs')");
    await doc.update((d) => void d.items.push('c'));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(onDisk(file).items).toEqual(['a', 'b', 'theirs', 'c']);
    expect(await doc.read()).toEqual({ items: ['a', 'b', 'theirs', 'c'] });
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('notices a rewrite by another process that keeps the size (a new inode)', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    await doc.update((d) => void d.items.push('x'));
    const size = fs.statSync(file).size;
    writeFromAnotherProcess(file, "d.items[0] = 'y'");
    expect(fs.statSync(file).size).toBe(size);
    expect(await doc.read()).toEqual({ items: ['y'] });
    await doc.update((d) => void d.items.push('z'));
    expect(onDisk(file).items).toEqual(['y', 'z']);
  });

  it('leaves the cache and the file as they were when the change throws', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    await doc.update((d) => void d.items.push('a'));
    await expect(
      doc.update((d) => {
        d.items.push('half');
        d.items.splice(0, 1);
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    expect(await doc.read()).toEqual({ items: ['a'] });
    expect(onDisk(file)).toEqual({ items: ['a'] });
    await doc.update((d) => void d.items.push('b'));
    expect(onDisk(file)).toEqual({ items: ['a', 'b'] });
  });

  it('leaves the cache as the file holds it when a write fails, before or after the rename', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    await doc.update((d) => void d.items.push('a'));
    const real = AtomicJsonFile.prototype.writeStamped;
    const write = vi.spyOn(AtomicJsonFile.prototype, 'writeStamped');
    write.mockRejectedValueOnce(Object.assign(new Error('no space left'), { code: 'ENOSPC' }));
    await expect(doc.update((d) => void d.items.push('lost'))).rejects.toThrow('no space left');
    expect(await doc.read()).toEqual({ items: ['a'] });
    expect(onDisk(file)).toEqual({ items: ['a'] });

    // Written, then failed (say, the stat after the rename): the file is the truth, and the next read sees it.
    write.mockImplementationOnce(async function (this: AtomicJsonFile<Doc>, data: Doc) {
      await real.call(this, data);
      throw new Error('stat failed');
    });
    await expect(doc.update((d) => void d.items.push('b'))).rejects.toThrow('stat failed');
    expect(await doc.read()).toEqual({ items: ['a', 'b'] });
    await doc.update((d) => void d.items.push('c'));
    expect(onDisk(file)).toEqual({ items: ['a', 'b', 'c'] });
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['doc.json']);
  });

  it('shows readers the document as written while a change is being written, never the draft', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    await doc.update((d) => void d.items.push('a'));
    let letWrite!: () => void;
    const gate = new Promise<void>((r) => (letWrite = r));
    let writing!: () => void;
    const atWrite = new Promise<void>((r) => (writing = r));
    const real = AtomicJsonFile.prototype.writeStamped;
    vi.spyOn(AtomicJsonFile.prototype, 'writeStamped').mockImplementationOnce(async function (
      this: AtomicJsonFile<Doc>,
      data: Doc,
    ) {
      writing();
      await gate;
      return real.call(this, data);
    });
    const pending = doc.update((d) => void d.items.push('b'));
    await atWrite;
    const seen = await doc.read();
    expect(seen).toEqual({ items: ['a'] });
    letWrite();
    await pending;
    expect(await doc.read()).toEqual({ items: ['a', 'b'] });
    // What the reader was given earlier did not change under it.
    expect(seen).toEqual({ items: ['a'] });
  });

  it('applies concurrent updates of one process one after another, losing none', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    const n = 40;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        doc.update((d) => {
          d.items.push(String(i));
          return d.items.length;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(onDisk(file).items).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it('writes compact JSON when asked, indented by default, 0600 either way', async () => {
    const compact = new SharedDocument<Doc>(file, () => ({ items: [] }), { indent: 0 });
    await compact.update((d) => void d.items.push('a', 'b'));
    expect(fs.readFileSync(file, 'utf8')).toBe('{"items":["a","b"]}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const indented = new SharedDocument<Doc>(path.join(tmp.dir, 'other.json'), () => ({ items: [] }));
    await indented.update((d) => void d.items.push('a'));
    expect(fs.readFileSync(path.join(tmp.dir, 'other.json'), 'utf8')).toBe('{\n "items": [\n  "a"\n ]\n}\n');
  });
});

describe('SharedDocument group commit', () => {
  it('writes updates that arrive while one is written together, each seeing the ones before it', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    const writes = vi.spyOn(AtomicJsonFile.prototype, 'writeStamped');
    const first = doc.update((d) => void d.items.push('a'));
    // The first write is under way (taking the lock): these arrive meanwhile and go out together in one more write.
    await new Promise((r) => setImmediate(r));
    const rest = ['b', 'c', 'd'].map((x) => doc.update((d) => (d.items.push(x), d.items.length)));
    await first;
    expect(await Promise.all(rest)).toEqual([2, 3, 4]);
    expect(writes).toHaveBeenCalledTimes(2);
    expect(onDisk(file).items).toEqual(['a', 'b', 'c', 'd']);
    // Updates made in one go share a write too.
    await Promise.all(['e', 'f'].map((x) => doc.update((d) => void d.items.push(x))));
    expect(writes).toHaveBeenCalledTimes(3);
  });

  it('leaves out a change that throws, alone: the others of its batch are written', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    const first = doc.update((d) => void d.items.push('a'));
    const ok1 = doc.update((d) => void d.items.push('b'));
    const bad = doc.update((d) => {
      d.items.push('half-done');
      throw new Error('refused');
    });
    const ok2 = doc.update((d) => void d.items.push('c'));
    await first;
    await ok1;
    await expect(bad).rejects.toThrow('refused');
    await ok2;
    expect(onDisk(file).items).toEqual(['a', 'b', 'c']);
    expect((await doc.read()).items).toEqual(['a', 'b', 'c']);
  });
});

describe('AtomicJsonFile temp files', () => {
  it("removes the temp file a killed writer left behind, and keeps a live writer's", async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(dead.stdout);
    const left = `${file}.${deadPid}.7.tmp`;
    const live = `${file}.${process.ppid}.3.tmp`;
    fs.writeFileSync(left, '{"items":["half');
    fs.writeFileSync(live, '{}');
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    await doc.update((d) => void d.items.push('a'));
    expect(fs.existsSync(left)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(onDisk(file).items).toEqual(['a']);
  });
});
