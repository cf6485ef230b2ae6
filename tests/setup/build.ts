// Global setup of the test projects: what they need from the machine, then what they run, built once per run as
// `npm run build` builds it: the dashboard's assets for the unit tests; the binary (dist/cli.js) too for the e2e and
// host tests. `tsc -b` is incremental: about a second when dist/ is up to date.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ROOT } from '../helpers/mcp.js';
import { E2E, NETNS_HOST, requireAll, type Requirement } from '../helpers/requirements.js';

// The dashboard's browser assets (dist/dashboard/assets, under half a second): `deckhand serve --http` refuses to
// start without them, and the unit tests render pages that link them.
function buildWeb(): void {
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

function build(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  buildWeb();
}

function setup(project: string, needs: readonly Requirement[]): () => void {
  return () => {
    requireAll(`The ${project} tests`, needs);
    build();
  };
}

export const unit = buildWeb;
export const e2e = setup('e2e', E2E);
export const host = setup('host', NETNS_HOST);
