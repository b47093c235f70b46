/**
 * The API client of the web app: same-origin fetches carried by the session cookie (set at /signin). A 401
 * sends the person to sign in again and back here; other errors arrive as ApiError with the API's code and
 * message (the server's problem body `{ error: { code, message }, requestId }`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function signIn(): void {
  const next = `${location.pathname}${location.search}`;
  location.assign(`/signin?next=${encodeURIComponent(next)}`);
}

interface ErrorBody {
  readonly error?: { readonly code?: string; readonly message?: string };
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.status === 401) {
    signIn();
    throw new ApiError(401, 'UNAUTHENTICATED', 'signing in again');
  }
  const text = await res.text();
  const data: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const err = (data as ErrorBody | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? res.statusText);
  }
  return data as T;
}

/** Query string from a record, leaving out empty values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** What a failure says, for a message on screen. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
