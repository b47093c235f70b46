import type { z } from 'zod';
import { TargetRejectedError, TargetUnavailableError } from '../errors.ts';

/**
 * The HTTP plumbing every external target shares: one timeout per call, network failures and timeouts
 * as TargetUnavailableError, `Retry-After` parsing, bodies validated by zod. No logging here: callers
 * decide what is safe to log (never tokens, secrets or request bodies).
 */

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface CallOptions {
  readonly timeoutMs?: number;
  /** The caller's own cancellation (shutdown), combined with the timeout. */
  readonly signal?: AbortSignal;
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Performs one request; a network error, reset or timeout becomes TargetUnavailableError. */
export async function send(
  target: string,
  url: string,
  init: RequestInit,
  options: CallOptions = {},
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const what = `${init.method ?? 'GET'} ${new URL(url).pathname}`;
  try {
    return await fetch(url, { ...init, signal });
  } catch (err) {
    if (timeout.aborted) {
      throw new TargetUnavailableError(target, `${what} timed out after ${timeoutMs} ms`, { cause: err });
    }
    if (options.signal?.aborted) {
      throw new TargetUnavailableError(target, `${what} cancelled`, { cause: err });
    }
    // fetch wraps the socket error (ECONNREFUSED, ECONNRESET, "other side closed") in its cause.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new TargetUnavailableError(target, `${what} failed: ${cause}`, { cause: err });
  }
}

/** The response body as text; a connection dropped mid-body is TargetUnavailableError. */
export async function bodyText(target: string, res: Response): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw new TargetUnavailableError(target, `response body interrupted (HTTP ${res.status})`, {
      cause: err,
    });
  }
}

/** Parses JSON text; undefined when it is not JSON (error bodies may be HTML from a proxy). */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A success body that does not match the target's published contract: retrying will not change it, so it
 * is a rejection the operator must look at (the message says what was expected).
 */
export async function readJson<S extends z.ZodType>(
  target: string,
  res: Response,
  schema: S,
  what: string,
): Promise<z.output<S>> {
  const text = await bodyText(target, res);
  const parsed = schema.safeParse(tryJson(text));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new TargetRejectedError(
    target,
    'UNEXPECTED_RESPONSE',
    `${what}: HTTP ${res.status} body does not match the expected shape${where} (${issue?.message ?? 'not JSON'})`,
    { status: res.status, cause: parsed.error },
  );
}

/** Statuses after which the same request may succeed later (the target is busy, down or rate-limiting). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** A short, log-safe excerpt of a response body for an error message. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** Maps a non-2xx status to the error the caller must act on; `detail` is the target's own message. */
export function statusError(
  target: string,
  res: Response,
  code: string,
  detail: string,
): TargetUnavailableError | TargetRejectedError {
  const status = res.status;
  if (isTransientStatus(status)) {
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return new TargetUnavailableError(target, `HTTP ${status} ${code}: ${detail}`, {
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  return new TargetRejectedError(target, code, `HTTP ${status} ${code}: ${detail}`, { status });
}

/** A generic code for a status when the target's body names none. */
export function statusCode(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 429:
      return 'RATE_LIMITED';
    default:
      return status >= 500 ? 'SERVER_ERROR' : `HTTP_${status}`;
  }
}
