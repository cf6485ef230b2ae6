// Modules of src/ for a child `node` process (a second deckhand-like process, one that must die mid-write): compiled
// on the spot from the sources the test itself imports, never a dist/ that may be stale or missing. The entries are
// bundled together with shared chunks, so a class patched through one entry is the class the others use.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './mcp.js';

/** Under node_modules, so the bundles' own imports (proper-lockfile, ulid...) resolve as they do for src/. */
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'deckhand-test-children');

/**
 * `{ name: 'src/path/file.ts' }` → `{ name: 'file:///…/name.js' }`, importable from a child process. The output
 * directory is named by its content, so concurrent test files share it and a source change gets a new one.
 */
export async function childModules<K extends string>(entries: Record<K, string>): Promise<Record<K, string>> {
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries<string>(entries).map(([k, v]) => [k, path.join(ROOT, v)])),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: CACHE,
    write: false,
    logLevel: 'silent',
  });
  const hash = createHash('sha256');
  for (const f of result.outputFiles) hash.update(f.path).update(f.contents);
  const dir = path.join(CACHE, hash.digest('hex').slice(0, 16));
  if (!fs.existsSync(dir)) {
    const tmp = `${dir}.${process.pid}.tmp`;
    for (const f of result.outputFiles) {
      const to = path.join(tmp, path.relative(CACHE, f.path));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.writeFileSync(to, f.contents);
    }
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another worker got there first, with the same content
    }
  }
  return Object.fromEntries(
    Object.keys(entries).map((k) => [k, pathToFileURL(path.join(dir, `${k}.js`)).href]),
  ) as Record<K, string>;
}

/** One module: `childModule('src/heap.ts')` → its file URL. */
export async function childModule(entry: string): Promise<string> {
  return (await childModules({ main: entry })).main;
}
