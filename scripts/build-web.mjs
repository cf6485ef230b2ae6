// Builds the dashboard's browser assets into dist/dashboard/assets (run by `npm run build` after tsc):
// - dashboard.js: the pages' one script (live log tail), bundled and minified;
// - dashboard.css, favicon.svg: copied;
// - job-view.html: the MCP App view, one self-contained file (the ext-apps bridge and the view inlined), because
//   an MCP App is served as a single HTML resource with no origin to load scripts from.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'src', 'dashboard', 'web');
const out = path.join(root, 'dist', 'dashboard', 'assets');
fs.mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022'],
  platform: 'browser',
  legalComments: 'none',
};

await build({ ...common, entryPoints: [path.join(web, 'dashboard.ts')], outfile: path.join(out, 'dashboard.js') });
for (const f of ['dashboard.css', 'favicon.svg']) fs.copyFileSync(path.join(web, f), path.join(out, f));

const view = await build({ ...common, entryPoints: [path.join(web, 'job-view.ts')], write: false });
const script = view.outputFiles[0].text;
// Inlined into a <script> element: the text must not be able to close it.
if (/<\/script/i.test(script)) throw new Error('the job view bundle contains "</script": it cannot be inlined');
const template = fs.readFileSync(path.join(web, 'job-view.html'), 'utf8');
if (!template.includes('<!--JOB_VIEW_SCRIPT-->'))
  throw new Error('job-view.html lost its <!--JOB_VIEW_SCRIPT--> marker');
fs.writeFileSync(
  path.join(out, 'job-view.html'),
  template.replace('<!--JOB_VIEW_SCRIPT-->', () => `<script>${script}</script>`),
);
