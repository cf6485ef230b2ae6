import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeckhandError } from '../errors.js';

// Where the pages' built assets are, for the two web doors (the dashboard and the MCP App view of mcp/).

/** The MCP App view (one self-contained HTML file: the ext-apps bridge and the view bundled in). */
export const JOB_VIEW_FILE = 'job-view.html';

/**
 * Where the built assets are: beside this module once compiled (dist/dashboard/assets), or in dist/ when this
 * module runs from its TypeScript source (tests in-process), provided `npm run build` ran.
 */
export function assetsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // Compiled: dist/web/ beside dist/dashboard/assets; from source (tests in-process): the built dist/ of the project.
  const candidates = [
    path.resolve(here, '..', 'dashboard', 'assets'),
    path.resolve(here, '..', '..', 'dist', 'dashboard', 'assets'),
  ];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'dashboard.js')));
  if (!found) {
    throw new DeckhandError(
      'internal_error',
      `The dashboard's assets are missing (looked in ${candidates.join(', ')}).`,
      {
        hint: 'Run `npm run build` (it bundles them into dist/dashboard/assets); an installed package ships them.',
      },
    );
  }
  return found;
}
