import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { serverName } from './shared/schemas.js';

const settingShape = z.object({
  key: z.string(),
  description: z.string(),
  required: z.boolean(),
  default: z.string().optional(),
  allowed: z.array(z.string()).optional(),
  managed_by: z.string().optional(),
});

const deployedShape = z.object({
  stack: z.string(),
  app: z.string().nullable(),
  app_version: z.string().nullable(),
  release: z.string(),
  deployed_at: z.string(),
  status: z.enum(['running', 'degraded', 'missing']),
  url: z.string().nullable(),
  services: z.array(z.object({ name: z.string(), replicas: z.string() })),
  depends_on: z.array(z.string()),
});

export function registerListAppsTool(server: McpServer, deps: Pick<ToolDeps, 'apps'>): void {
  server.registerTool(
    'list-apps',
    {
      title: 'App catalogue and deployed apps',
      description:
        "The app catalogue of deploy-app: each app's version, images, whether it takes a domain, dependencies and " +
        'settings (required, defaults, allowed values; managed_by deckhand means a generated secret). With server: ' +
        'what is deployed there (release, status, URL).',
      inputSchema: z.object({ server: serverName.optional().describe('Also list what is deployed there.') }).strict(),
      outputSchema: {
        catalogue: z.array(
          z.object({
            name: z.string(),
            description: z.string(),
            version: z.string(),
            images: z.array(z.string()),
            web: z.boolean(),
            requires_domain: z.boolean(),
            dependencies: z.array(z.string()),
            settings: z.array(settingShape),
          }),
        ),
        server: z.string().optional(),
        deployed: z.array(deployedShape).optional(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(async (args, extra) => {
      const catalogue = deps.apps.catalogue().map((a) => ({
        name: a.name,
        description: a.description,
        version: a.version,
        images: [...a.images],
        web: a.web,
        requires_domain: a.requiresDomain,
        dependencies: [...a.dependencies],
        settings: a.settings.map((s) => ({
          key: s.key,
          description: s.description,
          required: s.required,
          ...(s.default !== undefined ? { default: s.default } : {}),
          ...(s.allowed ? { allowed: [...s.allowed] } : {}),
          ...(s.managedBy ? { managed_by: s.managedBy } : {}),
        })),
      }));
      const lines = catalogue.map(
        (a) =>
          `- ${a.name} ${a.version}: ${a.description}` +
          `${a.requires_domain ? ' [needs a domain]' : a.web ? ' [web]' : ''}` +
          `${a.dependencies.length ? ` [uses ${a.dependencies.join(', ')}]` : ''}`,
      );
      if (!args.server) return ok({ catalogue }, `Catalogue (deploy with deploy-app):\n${lines.join('\n')}`);
      const deployed = (await deps.apps.deployed(args.server, extra.signal)).map((d) => ({
        stack: d.record.stack,
        app: d.record.app,
        app_version: d.record.app_version,
        release: d.record.hash.slice(0, 12),
        deployed_at: d.record.deployed_at,
        status: d.status,
        url: d.record.url,
        services: d.services.map((s) => ({ ...s })),
        depends_on: [...d.record.dependencies],
      }));
      const there = deployed.length
        ? deployed
            .map(
              (d) =>
                `- ${d.stack} (${d.app ?? 'compose file'}${d.app_version ? ` ${d.app_version}` : ''}): ${d.status}, release ${d.release} ` +
                `deployed ${d.deployed_at}${d.url ? `, ${d.url}` : ''}; ${d.services.map((s) => `${s.name} ${s.replicas}`).join(', ')}`,
            )
            .join('\n')
        : '(nothing deployed by deckhand)';
      return ok(
        { catalogue, server: args.server, deployed },
        `Deployed on ${args.server}:\n${there}\n\nCatalogue (deploy with deploy-app):\n${lines.join('\n')}`,
      );
    }),
  );
}
