import type { ServerPolicy } from '../policy/index.js';

/** What a transport knows about an MCP session before any tool is called: how it arrived, and with which token. */
export interface SessionInfo {
  readonly via: 'stdio' | 'http' | 'in-process';
  /** The HTTP bearer token by name (never its value) and its policy, when the session came with one. */
  readonly token?: { readonly name: string; readonly policy?: ServerPolicy | undefined } | undefined;
}
