import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from '../errors.js';
import { definitionOf, type TemplateService } from '../templates/index.js';
import { RESOURCE_NOT_FOUND } from './resources.js';
import { detailOf } from './tools/shared/template-shapes.js';

export const TEMPLATE_URI_TEMPLATE = 'deckhand://templates/{name}';
const LISTED_TEMPLATES = 50;

/**
 * deckhand://templates/{name}: a template's definition (env names, never values), its versions, recent runs,
 * schedule with next runs, and statistics of all runs and of the current version, as JSON. Templates are listed.
 */
export function registerTemplateResource(
  server: McpServer,
  templates: Pick<TemplateService, 'list' | 'detail' | 'get'>,
): void {
  server.registerResource(
    'template',
    new ResourceTemplate(TEMPLATE_URI_TEMPLATE, {
      list: async () => {
        const page = await templates.list({ limit: LISTED_TEMPLATES });
        return {
          resources: page.templates.map(({ template: t }) => ({
            uri: `deckhand://templates/${t.name}`,
            name: t.name,
            title: `Template ${t.name} v${t.version} (${t.status})`,
            mimeType: 'application/json',
          })),
        };
      },
    }),
    {
      title: 'Job template',
      description:
        'A job template as JSON: definition, versions, recent runs, schedule with next runs, statistics of all runs and of the current version.',
      mimeType: 'application/json',
    },
    async (uri, { name }) => {
      let detail;
      try {
        const [d, t] = await Promise.all([templates.detail(String(name)), templates.get(String(name))]);
        detail = detailOf(d, t.version === d.template.version ? definitionOf(t) : undefined);
      } catch (err) {
        throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri.href}. ${errorMessage(err)}`, {
          uri: uri.href,
        });
      }
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(detail) }] };
    },
  );
}
