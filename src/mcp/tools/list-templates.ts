import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { definitionOf } from '../../templates/index.js';
import type { ToolDeps } from './shared/deps.js';
import { guarded, ok } from './shared/results.js';
import { detailOf, detailText, fitBudget, summaryOf, summaryText } from './shared/template-shapes.js';

export function registerListTemplatesTool(server: McpServer, deps: Pick<ToolDeps, 'templates'>): void {
  server.registerTool(
    'list-templates',
    {
      title: 'List job templates',
      description:
        'Job templates with schedule, next and last run, statistics; with name, one in detail (versions, runs). ' +
        'Pass next_cursor as cursor for more.',
      inputSchema: z
        .object({
          name: z.string().min(1).max(63).optional().describe('One template in detail.'),
          status: z.enum(['enabled', 'disabled', 'archived']).optional(),
          cursor: z.string().max(64).optional(),
          limit: z
            .number()
            .int()
            .refine((v) => v >= 1 && v <= 100, 'must be from 1 to 100')
            .default(20),
        })
        .strict(),
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    guarded(async (args) => {
      if (args.name !== undefined) {
        const [d, t] = await Promise.all([deps.templates.detail(args.name), deps.templates.get(args.name)]);
        const def = t.version === d.template.version ? definitionOf(t) : undefined;
        return ok({ template: detailOf(d, def) }, detailText(d, def));
      }
      const page = await deps.templates.list({ status: args.status, limit: args.limit, cursor: args.cursor });
      const { kept, dropped } = fitBudget(page.templates, (k) =>
        Buffer.byteLength(JSON.stringify(k.map((x) => summaryOf(x.template, x.stats)))),
      );
      const last = kept[kept.length - 1];
      const next_cursor = dropped > 0 && last ? last.template.name : page.next_cursor;
      const text = kept.length
        ? kept.map((x) => summaryText(x.template, x.stats)).join('\n')
        : args.cursor
          ? 'No more templates.'
          : 'No templates. save-template creates one.';
      return ok(
        { templates: kept.map((x) => summaryOf(x.template, x.stats)), next_cursor },
        text + (next_cursor ? `\nnext_cursor: ${next_cursor}` : ''),
      );
    }),
  );
}
