import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolRequest,
  type ListToolsResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z, type ZodTypeAny } from 'zod';
import { registeredTools } from './argument-validation.js';
import { installedHandler } from './installed-handler.js';
import { compactAnnotations, compactInputSchema, compactOutputSchema, type Json } from './schema-compact.js';

/**
 * Wraps tools/list with the compaction of schema-compact.ts, and tools/call with its counterpart: a map argument
 * sent the advertised way (["KEY=value", ...]) becomes the object the tool's zod schema takes. Installed last, so
 * every layer inside (the task layer, the argument gate, the SDK) sees the arguments as the tools define them.
 */
export function installToolListing(server: McpServer): void {
  const tools = registeredTools(server);
  const list = installedHandler(server, 'tools/list');
  const call = installedHandler(server, 'tools/call');
  server.server.setRequestHandler(ListToolsRequestSchema, async (req, extra) => {
    const listed = (await list(req, extra)) as ListToolsResult;
    return { ...listed, tools: listed.tools.map(compactTool) };
  });
  server.server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const schema = tools[req.params.name]?.inputSchema;
    const args = schema
      ? (mapsFromLists(schema, req.params.arguments) as CallToolRequest['params']['arguments'])
      : req.params.arguments;
    const next: CallToolRequest =
      args === req.params.arguments ? req : { ...req, params: { ...req.params, arguments: args } };
    return (await call(next, extra)) as never;
  });
}

function compactTool(t: Tool): Tool {
  const annotations = compactAnnotations(t.annotations);
  const { annotations: _a, outputSchema, execution, ...rest } = t;
  // "forbidden" is what a tool without execution.taskSupport means.
  const tasks = execution?.taskSupport && execution.taskSupport !== 'forbidden' ? { execution } : {};
  return {
    ...rest,
    ...tasks,
    inputSchema: compactInputSchema(t.inputSchema as { [k: string]: Json }) as Tool['inputSchema'],
    ...(outputSchema
      ? { outputSchema: compactOutputSchema(outputSchema as { [k: string]: Json }) as Tool['outputSchema'] }
      : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/** The top-level fields of an object schema whose value is a map (zod record), through optional/default/effects. */
export function mapFields(schema: ZodTypeAny): Set<string> {
  const fields = new Set<string>();
  const shape = objectShape(schema);
  for (const [name, field] of Object.entries(shape)) if (unwrap(field) instanceof z.ZodRecord) fields.add(name);
  return fields;
}

/** ["A=1", "B=x=y"] → {A: "1", B: "x=y"} for the map fields; anything else is left for the gate to judge. */
export function mapsFromLists(schema: ZodTypeAny, args: unknown): unknown {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return args;
  let out: Record<string, unknown> | undefined;
  for (const name of mapFields(schema)) {
    const v = (args as Record<string, unknown>)[name];
    if (!Array.isArray(v) || !v.every((e) => typeof e === 'string' && e.includes('='))) continue;
    out ??= { ...(args as Record<string, unknown>) };
    out[name] = Object.fromEntries(
      (v as string[]).map((e) => {
        const i = e.indexOf('=');
        return [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  // A list of objects with maps of their own (run-template's runs: [{params}]) is advertised the same way inside.
  for (const [name, field] of Object.entries(objectShape(schema))) {
    const t = unwrap(field);
    const v = (args as Record<string, unknown>)[name];
    if (!(t instanceof z.ZodArray) || !Array.isArray(v)) continue;
    const item = t.element as ZodTypeAny;
    if (!mapFields(item).size) continue;
    out ??= { ...(args as Record<string, unknown>) };
    out[name] = v.map((e) => mapsFromLists(item, e));
  }
  return out ?? args;
}

function unwrap(t: ZodTypeAny): ZodTypeAny {
  for (let i = 0; i < 10; i++) {
    if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
    else if (t instanceof z.ZodDefault) t = t.removeDefault();
    else if (t instanceof z.ZodEffects) t = t.innerType();
    else break;
  }
  return t;
}

function objectShape(schema: ZodTypeAny): Record<string, ZodTypeAny> {
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, ZodTypeAny>) : {};
}
