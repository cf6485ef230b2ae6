// Global setup of the e2e and host projects: what they need from the machine, then the binary they run (dist/cli.js),
// built once per run as `npm run build` builds it. `tsc -b` is incremental: about a second when dist/ is up to date.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ROOT } from '../helpers/mcp.js';
import { E2E, NETNS_HOST, requireAll, type Requirement } from '../helpers/requirements.js';

function build(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  // The dashboard's browser assets are part of the binary: `deckhand serve --http` refuses to start without them.
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

function setup(project: string, needs: readonly Requirement[]): () => void {
  return () => {
    requireAll(`The ${project} tests`, needs);
    build();
  };
}

export const e2e = setup('e2e', E2E);
export const host = setup('host', NETNS_HOST);
