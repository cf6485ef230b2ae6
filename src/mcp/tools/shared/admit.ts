import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ElicitRequestFormParams, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { AdmitRequest, Admitted, Asker, Caller, Refusal } from '../../../safety/index.js';
import { clientCanElicit } from './confirm.js';
import type { ToolDeps } from './deps.js';

export type AdmitInput = Omit<AdmitRequest, 'caller' | 'asker' | 'signal'>;

/**
 * What a tool that changes something calls before it acts, in one line:
 *
 *   const gate = await admit(server, deps, { tool: 'write-file', targets: [{ server, action }], args }, extra);
 *   if (!gate.ok) return gate.result;
 *   await gate.run(() => service.write(...));
 *
 * Policy decides; where it asks, the person behind the client is asked (elicitation) when the client can, and
 * otherwise the call is refused with an approval id for `deckhand approve`. The call is in the audit log before it
 * runs, and `run` records its outcome.
 */
export async function admit(
  server: McpServer,
  deps: Pick<ToolDeps, 'safety' | 'session'>,
  req: AdmitInput,
  extra: { readonly signal: AbortSignal; readonly requestId: RequestId },
): Promise<Admitted | { readonly ok: false; readonly result: CallToolResult }> {
  const admission = await deps.safety.admit({
    ...req,
    caller: callerOf(server, deps.session),
    asker: clientCanElicit(server) ? elicitationAsker(server, extra.requestId) : undefined,
    signal: extra.signal,
  });
  return admission.ok ? admission : { ok: false, result: refusalResult(admission.refusal) };
}

export function callerOf(server: McpServer, session: ToolDeps['session']): Caller {
  const client = server.server.getClientVersion();
  return {
    via: session?.via ?? 'stdio',
    ...(session?.token ? { token: session.token } : {}),
    ...(client ? { client: { name: client.name, version: client.version } } : {}),
  };
}

/** Asks through MCP elicitation (form mode), tied to the tool call that needs it. */
function elicitationAsker(server: McpServer, requestId: RequestId): Asker {
  return {
    async ask(question, opts) {
      const res = await server.server.elicitInput(
        {
          mode: 'form',
          message: question.message,
          requestedSchema: question.schema as ElicitRequestFormParams['requestedSchema'],
        },
        { relatedRequestId: requestId, timeout: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      return { action: res.action, content: res.content };
    },
  };
}

/** A refusal is a tool error whose text says what was refused, why, and what to do next. */
export function refusalResult(r: Refusal): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `Refused (${r.code}): ${r.message}\n${r.hint}` }],
    ...(r.approval
      ? {
          _meta: {
            'deckhand/approval': { id: r.approval.id, status: r.approval.status, expires_at: r.approval.expires_at },
          },
        }
      : {}),
  };
}
