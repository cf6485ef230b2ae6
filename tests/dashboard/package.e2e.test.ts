// The dashboard's assets are built into dist/ and ship in the npm package (they are found from dist/ at run time:
// an installed deckhand works offline, with no CDN).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/mcp.js';

const ASSETS = ['dashboard.js', 'dashboard.css', 'favicon.svg', 'job-view.html'];

describe('dashboard assets in the package', () => {
  it('are built into dist/dashboard/assets and listed by npm pack', () => {
    const dir = path.join(ROOT, 'dist', 'dashboard', 'assets');
    for (const f of ASSETS) {
      expect(fs.existsSync(path.join(dir, f)), `${f} (run npm run build)`).toBe(true);
    }
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }),
    ) as { files: { path: string }[] }[];
    const files = new Set(packed[0]?.files.map((f) => f.path));
    for (const f of ASSETS) expect(files.has(`dist/dashboard/assets/${f}`), f).toBe(true);
    // The browser sources stay out: the package carries what runs.
    expect([...files].some((f) => f.startsWith('src/'))).toBe(false);
  });

  it('hold no reference to another origin', () => {
    const dir = path.join(ROOT, 'dist', 'dashboard', 'assets');
    for (const f of ['dashboard.js', 'dashboard.css']) {
      expect(fs.readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    }
    const view = fs.readFileSync(path.join(dir, 'job-view.html'), 'utf8');
    // The view's bundled libraries mention URLs in messages; none is loaded: no src/href, no fetch target.
    expect(view).not.toMatch(/\s(src|href)=["']?(https?:)?\/\//i);
    expect(view).not.toMatch(/<link\b/i);
  });
});
