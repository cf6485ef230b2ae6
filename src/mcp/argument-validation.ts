/**
 * One gate in front of every tool: arguments are checked against the tool's own input schema before McpServer
 * sees them, so a wrong type, a missing or unknown field or an over-long value answers deckhand's `invalid_argument`
 * (naming each field, what was expected and what was given, with a hint) instead of the SDK's raw
 * "MCP error -32602: Input validation error ..." text. A tool that does not exist is a protocol error (-32602), as
 * the MCP spec asks. Task-augmented calls are left to the task layer (see tasks.ts), which answers them itself.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ZodTypeAny } from 'zod';
import { describeArgumentErrors, type ArgumentErrors } from './argument-errors.js';
import { installedHandler } from './installed-handler.js';

interface RegisteredTool {
  readonly inputSchema?: ZodTypeAny;
  readonly outputSchema?: ZodTypeAny;
  readonly enabled: boolean;
}

/** Checked once per call: the result of a failed check, or undefined when the arguments are fine. */
export type ArgumentCheck = (name: string, args: unknown) => CallToolResult | undefined;

/**
 * McpServer keeps registered tools in a private field and offers no getter; this is the one place that reads it
 * (like installedHandler), so an SDK that renames it fails here, loudly, at startup.
 */
export function registeredTools(server: McpServer): Readonly<Record<string, RegisteredTool>> {
  const tools = (server as unknown as { _registeredTools?: Record<string, RegisteredTool> })._registeredTools;
  if (!tools) throw new Error('McpServer has no registered tools to validate: register the tools first.');
  return tools;
}

/** The answer for arguments that fail a tool's input schema, or undefined when they pass. */
export function argumentCheck(server: McpServer): ArgumentCheck {
  const tools = registeredTools(server);
  return (name, args) => {
    const tool = tools[name];
    if (!tool?.enabled) throw unknownTool(name, tools);
    if (!tool.inputSchema) return undefined;
    const parsed = tool.inputSchema.safeParse(args ?? {});
    if (parsed.success) return undefined;
    const parameters = Object.keys(objectShape(tool.inputSchema));
    return invalidArgumentResult(describeArgumentErrors(name, args, parsed.error.issues, parameters), tool);
  };
}

/** Installs the gate on tools/call. Call after the tools are registered and before task support wraps it. */
export function installArgumentValidation(server: McpServer): void {
  const check = argumentCheck(server);
  const callTool = installedHandler(server, 'tools/call');
  server.server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    if (!req.params.task) {
      const refused = check(req.params.name, req.params.arguments);
      if (refused) return refused;
    }
    return (await callTool(req, extra)) as CallToolResult;
  });
}

/**
 * The gate's answer for arguments a tool refuses itself, by a rule across fields its schema cannot say (add-server:
 * name and host unless ssh_config_host): the same words as every other refused argument.
 */
export function refusedArguments(
  tool: string,
  args: unknown,
  issues: readonly { path: string[]; message: string }[],
  parameters: readonly string[],
): CallToolResult {
  const zodIssues = issues.map((i) => ({ code: 'custom' as const, path: i.path, message: i.message }));
  return invalidArgumentResult(describeArgumentErrors(tool, args, zodIssues, parameters), { enabled: true });
}

/**
 * The text every deckhand error has, plus structuredContent when the tool's output schema can hold
 * `{status: "rejected", error}`: SDK 1.x clients check an error result's structuredContent against the tool's
 * output schema too (typescript-sdk#1943) and would throw the whole answer away if it did not fit.
 */
function invalidArgumentResult(e: ArgumentErrors, tool: RegisteredTool): CallToolResult {
  const text = `Error (invalid_argument): ${e.message}${e.hint}`;
  const structured = {
    status: 'rejected',
    error: { code: 'invalid_argument', message: e.message.trimEnd(), hint: e.hint, fields: e.problems },
  };
  const fits = tool.outputSchema?.safeParse(structured).success === true;
  return { isError: true, content: [{ type: 'text', text }], ...(fits ? { structuredContent: structured } : {}) };
}

function unknownTool(name: string, tools: Readonly<Record<string, RegisteredTool>>): McpError {
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  const known = Object.keys(tools).filter((n) => tools[n]?.enabled);
  return new McpError(
    ErrorCode.InvalidParams,
    `Unknown tool ${JSON.stringify(shown)}: deckhand has ${known.join(', ')}.`,
  );
}

function objectShape(schema: ZodTypeAny): Record<string, unknown> {
  const def = schema._def as { shape?: () => Record<string, unknown>; schema?: ZodTypeAny };
  if (typeof def.shape === 'function') return def.shape();
  return def.schema ? objectShape(def.schema) : {};
}
