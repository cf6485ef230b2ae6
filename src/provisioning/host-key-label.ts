/**
 * The host key fingerprint deckhand injected is stored on the server itself as a label, so any later
 * create-server call (a retry after a lost answer, another deckhand process) that adopts the server still
 * knows which key to expect. Label values allow only [A-Za-z0-9_.-], at most 63 characters, starting and
 * ending alphanumeric: the fingerprint's base64 is written url-safe between two fixed letters.
 */
export const HOST_KEY_LABEL = 'deckhand-host-key';

export function encodeHostKeyLabel(fingerprint: string): string {
  const b64 = fingerprint.replace(/^SHA256:/, '');
  return `k${b64.replace(/\+/g, '-').replace(/\//g, '_')}k`;
}

/** Undefined when the label is absent or malformed. */
export function decodeHostKeyLabel(value: string | undefined): string | undefined {
  if (!value || !/^k[A-Za-z0-9_-]{43}k$/.test(value)) return undefined;
  return `SHA256:${value.slice(1, -1).replace(/-/g, '+').replace(/_/g, '/')}`;
}
