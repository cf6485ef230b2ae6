import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Html } from './views/html.js';

/**
 * Every page: scripts and styles only from this origin (no inline script or style, no eval), no frames, forms post
 * only here, nothing fetched from anywhere else.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on our own form posts.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

export function sendHtml(res: ServerResponse, status: number, page: Html, headers: Record<string, string> = {}): void {
  const body = Buffer.from(page.text, 'utf8');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location, 'cache-control': 'no-store', ...headers });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(`${text}\n`);
}

/**
 * A state-changing request must come from a page of this very origin: its Origin (or, without one, its Referer)
 * names the host it was sent to. Host/Origin allow-lists alone accept any port on the same host.
 */
export function fromSameOrigin(req: IncomingMessage): boolean {
  const host = req.headers.host;
  const from = req.headers.origin ?? req.headers.referer;
  if (!host || !from || from === 'null') return false;
  try {
    return new URL(from).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** A urlencoded form body, at most `max` bytes. */
export async function readForm(
  req: IncomingMessage,
  max = 64 * 1024,
): Promise<URLSearchParams | 'too-large' | 'bad-type'> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return 'bad-type';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) return 'too-large';
    chunks.push(c);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
