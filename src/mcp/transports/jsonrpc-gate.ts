import { Transform, type TransformCallback } from 'node:stream';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

/** A JSON-RPC 2.0 error answer; `id` is null when the offending line had no usable id. */
export interface JsonRpcErrorAnswer {
  readonly jsonrpc: '2.0';
  readonly id: string | number | null;
  readonly error: { readonly code: number; readonly message: string };
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;
const NEWLINE = Buffer.from('\n');

/**
 * Sits between stdin and the SDK's stdio transport and lets only valid JSON-RPC lines through. The SDK drops a
 * line it cannot parse without a word (the client then waits for an answer that never comes), and ends the whole
 * session on a line over 10 MB; here such lines are answered as JSON-RPC 2.0 requires instead: -32700 for text
 * that is not JSON, -32600 for anything else (with the request's id when it has a usable one, else null).
 */
export function jsonRpcGate(
  reply: (answer: JsonRpcErrorAnswer) => void,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): Transform {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;

  const answer = (id: string | number | null, code: number, message: string) =>
    reply({ jsonrpc: '2.0', id, error: { code, message } });

  /** True when the line may go on to the transport; otherwise it has been answered (or was blank). */
  const admit = (line: Buffer): boolean => {
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return false;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      answer(null, -32700, 'Parse error: each line must be one JSON-RPC 2.0 message in JSON.');
      return false;
    }
    let valid = false;
    try {
      valid = JSONRPCMessageSchema.safeParse(data).success;
    } catch {
      // e.g. a stack overflow on absurdly deep nesting: not a message we can take
    }
    if (valid) return true;
    answer(
      idOf(data),
      -32600,
      'Invalid Request: not a JSON-RPC 2.0 message ({"jsonrpc": "2.0", "id", "method", "params" as an object}); batches are not supported.',
    );
    return false;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl);
        start = nl + 1;
        if (oversized || pendingBytes + piece.length > maxLineBytes) {
          answer(null, -32600, `Invalid Request: a message larger than ${maxLineBytes} bytes was dropped.`);
        } else {
          const line = pending.length ? Buffer.concat([...pending, piece]) : piece;
          if (admit(line)) this.push(Buffer.concat([line, NEWLINE]));
        }
        pending = [];
        pendingBytes = 0;
        oversized = false;
      }
      const rest = chunk.subarray(start);
      if (!oversized && rest.length > 0) {
        if (pendingBytes + rest.length > maxLineBytes) {
          // Stop buffering; the rest of this line is dropped when its newline arrives.
          oversized = true;
          pending = [];
          pendingBytes = 0;
        } else {
          pending.push(rest);
          pendingBytes += rest.length;
        }
      }
      done();
    },
  });
}

function idOf(data: unknown): string | number | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const id = (data as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) ? id : null;
}
