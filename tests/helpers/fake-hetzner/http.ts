/** An error the fake answers with `{error: {code, message, details}}`, the API's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function invalidInput(field: string, message: string): ApiError {
  return new ApiError(422, 'invalid_input', `invalid input in field '${field}'`, {
    fields: [{ name: field, messages: [message] }],
  });
}

export function notFound(what: string): ApiError {
  return new ApiError(404, 'not_found', `${what} not found`);
}

export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Slices a list the way the API paginates: page from 1, per_page default 25, at most 50. */
export function paginate<T>(
  items: T[],
  query: URLSearchParams,
  key: string,
  selfUrl: string,
): { body: Record<string, unknown>; headers: Record<string, string> } {
  const page = positiveInt(query.get('page'), 'page') ?? 1;
  const perPage = Math.min(50, positiveInt(query.get('per_page'), 'per_page') ?? 25);
  const total = items.length;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const pagination = {
    page,
    per_page: perPage,
    previous_page: page > 1 ? Math.min(page - 1, lastPage) : null,
    next_page: page < lastPage ? page + 1 : null,
    last_page: lastPage,
    total_entries: total,
  };
  const link = (p: number, rel: string) => {
    const u = new URL(selfUrl);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    return `<${u.toString()}>; rel="${rel}"`;
  };
  const links = [
    pagination.previous_page !== null ? link(pagination.previous_page, 'prev') : null,
    pagination.next_page !== null ? link(pagination.next_page, 'next') : null,
    link(lastPage, 'last'),
  ].filter((l): l is string => l !== null);
  return { body: { [key]: slice, meta: { pagination } }, headers: { Link: links.join(', ') } };
}

function positiveInt(raw: string | null, field: string): number | undefined {
  if (raw === null) return undefined;
  if (!/^[1-9]\d*$/.test(raw)) throw invalidInput(field, 'must be a positive integer');
  return Number(raw);
}

/** Path ids are int64 at Hetzner; anything else is a 404 there too. */
export function pathId(raw: string | undefined, what: string): number {
  if (!raw || !/^[1-9]\d{0,15}$/.test(raw)) throw notFound(what);
  return Number(raw);
}
