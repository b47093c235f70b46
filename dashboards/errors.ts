import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AuthenticationError,
  DocksideError,
  echoIssues,
  echoValue,
  type FieldIssue,
  RejectError,
} from '../core/mod.ts';

/**
 * The API's one problem body, `{ error: { code, message, issues? }, requestId }`, for every error: Dockside's
 * own, Fastify's (mapped to stable Dockside codes below), unknown routes, and unexpected failures (a generic
 * message; the details go to the log only).
 */
export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly FieldIssue[];
  readonly headers?: Readonly<Record<string, string>>;
}

/** The longest message an answer carries (issue lists joined into one message can be long). */
const MAX_MESSAGE = 2_000;
/** At most this many issues are listed; the message says how many there were. */
const MAX_ISSUES = 100;

/** Fastify's own codes → Dockside's (never a FST_* code in an answer). */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'JSON_INVALID' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'BODY_MISSING' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'CONTENT_LENGTH_INVALID' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'CONTENT_TYPE_INVALID' },
  FST_ERR_BAD_URL: { status: 400, code: 'URL_INVALID' },
  FST_ERR_VALIDATION: { status: 400, code: 'REQUEST_INVALID' },
};

/** Fastify's messages for the codes above, in its words but without echoing the body. */
const FASTIFY_MESSAGES: Readonly<Record<string, (bodyLimit: number) => string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (limit) =>
    `request body: larger than the limit of ${limit} bytes (DOCKSIDE_MAX_BODY_BYTES)`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    'content-type: not accepted here; send application/json (or application/x-ndjson to POST /api/events)',
};

/** RFC 6750: a 401 says how to authenticate, and why the token offered was refused. */
function wwwAuthenticate(err: AuthenticationError): string {
  if (err.code === 'UNAUTHENTICATED') return 'Bearer realm="dockside"';
  const why = err.code === 'TOKEN_EXPIRED' ? 'the token expired' : 'the token is not valid';
  return `Bearer realm="dockside", error="invalid_token", error_description="${why}"`;
}

function cutMessage(message: string): string {
  return message.length > MAX_MESSAGE
    ? `${message.slice(0, MAX_MESSAGE)}… (${message.length} chars)`
    : message;
}

/** What to answer for an error (pure); `log` says whether it is unexpected and belongs in the error log. */
export function problemOf(
  err: unknown,
  opts: { bodyLimit: number; requestId: string },
): Problem & { log: boolean } {
  if (err instanceof RejectError) {
    const issues = err.issues.slice(0, MAX_ISSUES);
    const more =
      err.issues.length > MAX_ISSUES ? ` (first ${MAX_ISSUES} of ${err.issues.length} issues)` : '';
    return {
      status: err.httpStatus,
      code: err.code,
      message: cutMessage(err.message) + more,
      ...(issues.length ? { issues: echoIssues(issues) } : {}),
      ...(err instanceof AuthenticationError
        ? { headers: { 'www-authenticate': wwwAuthenticate(err) } }
        : {}),
      log: false,
    };
  }
  if (err instanceof DocksideError && err.action === 'retry') {
    return {
      status: 503,
      code: err.code,
      message: cutMessage(err.message),
      headers: { 'retry-after': '1' },
      log: true,
    };
  }
  const fst = err as Partial<FastifyError>;
  const mapped = typeof fst.code === 'string' ? FASTIFY_CODES[fst.code] : undefined;
  if (mapped) {
    const text = FASTIFY_MESSAGES[fst.code as string]?.(opts.bodyLimit) ?? fst.message ?? '';
    return { ...mapped, message: cutMessage(text), log: false };
  }
  const status = typeof fst.statusCode === 'number' ? fst.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, code: 'REQUEST_INVALID', message: cutMessage(fst.message ?? 'bad request'), log: false };
  }
  return {
    status: 500,
    code: 'INTERNAL',
    message: `internal error: the server log has the details under request id ${opts.requestId}`,
    log: true,
  };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, p: Problem): FastifyReply {
  if (p.headers) reply.headers(p.headers);
  const issues = p.issues ? { issues: p.issues } : {};
  return reply
    .code(p.status)
    .type('application/json; charset=utf-8')
    .send({ error: { code: p.code, message: p.message, ...issues }, requestId: req.id });
}

/** Answers with a RejectError in the API's error shape; hooks use it to stop a request before its handler. */
export function sendReject(req: FastifyRequest, reply: FastifyReply, err: RejectError): FastifyReply {
  return sendProblem(req, reply, problemOf(err, { bodyLimit: 0, requestId: req.id }));
}

/** Whether a concrete path matches a route pattern such as `/api/exceptions/:id` or `/docs/static/*`. */
function matches(pattern: string, path: string): boolean {
  const re = pattern
    .split('/')
    .map((seg) =>
      seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${re}$`).test(path);
}

/**
 * One error handler and one not-found handler for every route. `routes` lists what is registered, so a
 * path served for other methods is a 405 naming them rather than a 404.
 */
export function registerErrorHandler(
  app: FastifyInstance,
  opts: { bodyLimit: number; routes: () => readonly { method: string; url: string }[] },
): void {
  app.setErrorHandler((err: unknown, req, reply) => {
    const p = problemOf(err, { bodyLimit: opts.bodyLimit, requestId: req.id });
    if (p.log) req.log.error({ err, method: req.method, url: req.url }, 'request failed');
    return sendProblem(req, reply, p);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const allowed = [
      ...new Set(
        opts
          .routes()
          .filter((r) => r.method !== 'HEAD' && matches(r.url, path))
          .map((r) => r.method),
      ),
    ];
    if (allowed.length) {
      return sendProblem(req, reply, {
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `${req.method} ${String(echoValue(path))}: method not allowed; this path answers ${allowed.join(', ')}`,
        headers: { allow: allowed.join(', ') },
      });
    }
    return sendProblem(req, reply, {
      status: 404,
      code: 'NOT_FOUND',
      message: `${req.method} ${String(echoValue(path))}: no such route (the API is listed at /docs)`,
    });
  });
}
