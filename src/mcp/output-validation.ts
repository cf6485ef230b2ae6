import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult, type ListToolsResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import { installedHandler, type InstalledHandler } from './installed-handler.js';
import type { ToolExtra } from './progress.js';

type Validate = (tool: RegisteredTool, result: CallToolResult | object, name: string) => Promise<void>;
type Check = JsonSchemaValidator<unknown>;

/**
 * Output schemas compiled once per process (every session's tools advertise the same ones), each at its tool's
 * first answer: a compiled check allocates next to nothing, where zod's parse makes objects for every field of
 * every element.
 */
export class OutputChecks {
  private readonly validator = new AjvJsonSchemaValidator();
  private readonly compiled = new Map<string, Check>();

  check(schema: JsonSchemaType): Check {
    const key = JSON.stringify(schema);
    let check = this.compiled.get(key);
    if (!check) this.compiled.set(key, (check = this.validator.getValidator(openObjects(schema) as JsonSchemaType)));
    return check;
  }
}

/**
 * The schema without `additionalProperties: false`, which the SDK writes for every zod object: zod's parse, the
 * check this replaces, lets a field the schema does not name through, and so does this one (clients see the
 * compacted listing, which never closes an object).
 */
function openObjects(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(openObjects);
  if (typeof s !== 'object' || s === null) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (!(k === 'additionalProperties' && v === false)) out[k] = openObjects(v);
  return out;
}

/**
 * Checks a tool's structured answer against its whole output schema, as the SDK renders it to JSON Schema for
 * tools/list before deckhand compacts the listing, with the JSON Schema validator the SDK's client uses, in place
 * of the SDK server's own check. That one runs zod's async parse: a promise per field of every element, all alive
 * until the whole answer is parsed, so a page of 1,000 log lines left ~2 MB that outlived V8's young generation
 * (paging through a 500,000-line log grew deckhand by ~100 MB and took twice the time). Same rules and words as the
 * SDK's: only a successful CallToolResult is checked, and one without structuredContent is refused.
 *
 * The SDK keeps its check in a private method; replacing it on this instance is the one way in. An SDK that moves
 * it fails here at start-up (and in every test) rather than quietly keeping the slow path. Install after the tools
 * are registered and before any wrapper of tools/list that changes the schemas; they are read at the first check.
 */
export function installOutputValidation(server: McpServer, checks: OutputChecks): void {
  const target = server as unknown as { validateToolOutput?: Validate };
  if (typeof target.validateToolOutput !== 'function')
    throw new Error('McpServer.validateToolOutput is gone: see src/mcp/output-validation.ts for what it replaced.');
  const list = installedHandler(server, 'tools/list');
  let schemas: Promise<Map<string, JsonSchemaType>> | undefined;
  const known = new Map<string, Check>();
  const checkOf = async (name: string): Promise<Check | undefined> => {
    const have = known.get(name);
    if (have) return have;
    schemas ??= listedSchemas(list);
    const schema = (await schemas).get(name);
    if (!schema) return undefined;
    const check = checks.check(schema);
    known.set(name, check);
    return check;
  };
  target.validateToolOutput = async (tool, result, name) => {
    if (!tool.outputSchema || !('content' in result) || (result as CallToolResult).isError) return;
    const structured = (result as CallToolResult).structuredContent;
    if (!structured)
      throw new McpError(
        ErrorCode.InvalidParams,
        `Output validation error: Tool ${name} has an output schema but no structured content was provided`,
      );
    const verdict = (await checkOf(name))?.(structured);
    if (verdict && !verdict.valid)
      throw new McpError(
        ErrorCode.InvalidParams,
        `Output validation error: Invalid structured content for tool ${name}: ${verdict.errorMessage}`,
      );
  };
}

async function listedSchemas(list: InstalledHandler): Promise<Map<string, JsonSchemaType>> {
  const listed = (await list({ method: 'tools/list', params: {} }, {} as ToolExtra)) as ListToolsResult;
  const out = new Map<string, JsonSchemaType>();
  for (const t of listed.tools) if (t.outputSchema) out.set(t.name, t.outputSchema as JsonSchemaType);
  return out;
}
