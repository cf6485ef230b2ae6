import { ProviderError, type ProviderErrorCode } from '../errors.js';
import { invalidInputDetailsSchema, limitDetailsSchema, type ErrorBody } from './schemas.js';

const TOKEN_PLACE = 'in the Hetzner Console (your project → Security → API tokens)';

export function missingTokenError(): ProviderError {
  return new ProviderError('No Hetzner Cloud API token is configured', {
    code: 'missing_token',
    hint: `Set HCLOUD_TOKEN (or HETZNER_TOKEN) to a Read & Write token created ${TOKEN_PLACE}`,
  });
}

export function malformedTokenError(): ProviderError {
  return new ProviderError('The Hetzner Cloud API token contains spaces or invisible characters', {
    code: 'unauthorized',
    hint: `Copy the token again ${TOKEN_PLACE} and set HCLOUD_TOKEN to exactly that value`,
  });
}

const KNOWN_CODES: ReadonlySet<string> = new Set<ProviderErrorCode>([
  'unauthorized',
  'token_readonly',
  'forbidden',
  'not_found',
  'invalid_input',
  'resource_unavailable',
  'resource_limit_exceeded',
  'uniqueness_error',
  'conflict',
  'locked',
  'protected',
  'maintenance',
  'rate_limit_exceeded',
  'server_error',
  'unavailable',
  'timeout',
]);

function hintFor(code: string, status: number, details: unknown): string {
  switch (code) {
    case 'unauthorized':
      return `The token was rejected: set HCLOUD_TOKEN to a valid token created ${TOKEN_PLACE}`;
    case 'token_readonly':
      return `This token may only read: create a Read & Write token ${TOKEN_PLACE} and set HCLOUD_TOKEN to it`;
    case 'forbidden':
      return 'The token lacks permission for this request: use a Read & Write token of the right project';
    case 'resource_limit_exceeded': {
      const parsed = limitDetailsSchema.safeParse(details);
      const limits = parsed.success ? ` (${parsed.data.limits.map((l) => l.name).join(', ')})` : '';
      return `The project limit${limits} is reached: delete servers you no longer need, or ask Hetzner support to raise the limit`;
    }
    case 'not_found':
      return 'The resource does not exist (any more): check the id or name';
    case 'uniqueness_error':
      return 'A resource with the same unique field already exists: pick another name, or use the existing one';
    case 'conflict':
      return 'The resource changed during the request: try again';
    case 'resource_unavailable':
      return 'The requested resource cannot be ordered right now: choose another server type or location';
    case 'invalid_input':
      return 'Correct the listed fields and try again';
    case 'locked':
      return 'Another action is running on this resource: wait until it finishes, then try again';
    case 'protected':
      return 'The resource is protected: disable its protection in the Hetzner Console first';
    case 'maintenance':
      return 'Hetzner is doing maintenance on this resource: try again later';
    case 'rate_limit_exceeded':
      return 'Too many requests for this project: wait a minute, then try again';
    default:
      return status >= 500
        ? 'Hetzner Cloud had an internal problem: try again in a few minutes, see https://status.hetzner.com'
        : 'See the message from Hetzner above';
  }
}

function describeFields(details: unknown): string {
  const parsed = invalidInputDetailsSchema.safeParse(details);
  if (!parsed.success) return '';
  const parts = parsed.data.fields.map((f) => (f.messages?.length ? `${f.name}: ${f.messages.join(', ')}` : f.name));
  return parts.length ? ` [${parts.join('; ')}]` : '';
}

/** Builds the typed error for an error response; `what` names the request ("create server web-1"). */
export function apiError(what: string, status: number, body: ErrorBody | undefined): ProviderError {
  const apiCode = body?.code ?? `http_${status}`;
  const code: ProviderErrorCode = KNOWN_CODES.has(apiCode) ? (apiCode as ProviderErrorCode) : 'api_error';
  const message = body?.message ?? `HTTP ${status}`;
  const fields = apiCode === 'invalid_input' || apiCode === 'uniqueness_error' ? describeFields(body?.details) : '';
  return new ProviderError(`Hetzner Cloud refused to ${what}: ${message}${fields} (${apiCode}, HTTP ${status})`, {
    code,
    status,
    apiCode,
    details: body?.details,
    hint: hintFor(apiCode, status, body?.details),
  });
}

/** Names of the invalid fields of an invalid_input error, empty when there are none. */
export function invalidFieldNames(err: ProviderError): string[] {
  if (err.code !== 'invalid_input') return [];
  const parsed = invalidInputDetailsSchema.safeParse(err.details);
  return parsed.success ? parsed.data.fields.map((f) => f.name) : [];
}

export function networkError(what: string, cause: unknown, timedOut: boolean): ProviderError {
  const reason = timedOut ? 'the request timed out' : describeCause(cause);
  return new ProviderError(`Could not reach Hetzner Cloud to ${what}: ${reason}`, {
    code: timedOut ? 'timeout' : 'network_error',
    hint: 'Check the network connection and HCLOUD_ENDPOINT, then try again',
    cause,
  });
}

export function invalidResponseError(what: string, status: number, cause: unknown): ProviderError {
  return new ProviderError(`Hetzner Cloud answered "${what}" with an unexpected body (HTTP ${status})`, {
    code: 'invalid_response',
    status,
    hint: 'The API may have changed: update deckhand, and report this if it persists',
    cause,
  });
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    if (inner instanceof Error) {
      const errno = (inner as Error & { code?: unknown }).code;
      return typeof errno === 'string' ? `${inner.message} (${errno})` : inner.message;
    }
    return cause.message;
  }
  return String(cause);
}
