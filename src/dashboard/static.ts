import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { assetsDir, JOB_VIEW_FILE } from '../web/assets.js';
import { SECURITY_HEADERS } from './respond.js';

/** The files under /assets/: built by scripts/build-web.mjs into dist/dashboard/assets, shipped in the package. */
const TYPES: Readonly<Record<string, string>> = Object.freeze({
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
});

/** The bundled assets, read once when the dashboard starts: a few kilobytes, served from memory. */
export class StaticAssets {
  private readonly files = new Map<string, { body: Buffer; type: string }>();

  constructor(dir: string) {
    for (const [name, type] of Object.entries(TYPES)) {
      this.files.set(name, { body: fs.readFileSync(path.join(dir, name)), type });
    }
  }

  /** Answers /assets/<name>; false when there is no such asset. */
  serve(name: string, res: ServerResponse): boolean {
    const f = this.files.get(name);
    if (!f) return false;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': f.type,
      'content-length': String(f.body.length),
      // The names do not change between versions: a short cache keeps an upgrade visible within minutes.
      'cache-control': 'private, max-age=300',
    });
    res.end(f.body);
    return true;
  }
}

export { assetsDir, JOB_VIEW_FILE };
