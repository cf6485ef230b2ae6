import fs from 'node:fs';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { assetsDir, JOB_VIEW_FILE } from '../web/assets.js';

/** The MCP App view of a job (MCP Apps extension, io.modelcontextprotocol/ui). */
export const JOB_VIEW_URI = 'ui://deckhand/job';

// The extension's names, as @modelcontextprotocol/ext-apps/server exports them (a test checks they still match).
// Spelled out here rather than imported: loading that module costs every deckhand process ~50 ms and ~2 MB of heap
// at start-up for two strings; the library itself is needed only to build the view (scripts/build-web.mjs).
export const RESOURCE_MIME_TYPE = 'text/html;profile=mcp-app';
export const RESOURCE_URI_META_KEY = 'ui/resourceUri';

/**
 * The `_meta` a tool declares to have its results shown in the job view, in both spellings hosts read (the
 * current `ui.resourceUri` and the older flat key), as ext-apps' registerAppTool writes them. Hosts without MCP
 * Apps ignore it: the tool's results are the same for every client.
 */
export const JOB_VIEW_TOOL_META = Object.freeze({
  ui: Object.freeze({ resourceUri: JOB_VIEW_URI }),
  [RESOURCE_URI_META_KEY]: JOB_VIEW_URI,
});

/**
 * The view's sandbox: no network at all (it reads the job only through the host's bridge, calling get-job-status),
 * no resources from other origins: everything it needs is inlined in the one HTML file.
 */
export const JOB_VIEW_UI_META = Object.freeze({
  csp: Object.freeze({ connectDomains: [] as string[], resourceDomains: [] as string[] }),
  prefersBorder: true,
});

/** Reads the built view once, when a client first asks for it. */
export function jobViewHtmlLoader(dir: () => string = assetsDir): () => string {
  let html: string | undefined;
  return () => (html ??= fs.readFileSync(path.join(dir(), JOB_VIEW_FILE), 'utf8'));
}

/** Registers the view as ext-apps' registerAppResource would: a fixed resource with the app MIME type. */
export function registerJobView(server: McpServer, html: () => string): void {
  server.registerResource(
    'job-view',
    JOB_VIEW_URI,
    {
      title: 'Job view',
      description:
        'A compact live view of a deckhand job (state and log tail), shown by MCP clients that render MCP Apps next to remote-bash and get-job-status results.',
      mimeType: RESOURCE_MIME_TYPE,
      _meta: { ui: JOB_VIEW_UI_META },
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: RESOURCE_MIME_TYPE, text: html(), _meta: { ui: JOB_VIEW_UI_META } }],
    }),
  );
}
