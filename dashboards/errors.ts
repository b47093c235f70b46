import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthenticationError, DocksideError, RejectError } from '../core/mod.ts';

/** RFC 6750: a 401 says how to authenticate, and why the token offered was refused. */
function wwwAuthenticate(err: AuthenticationError): string {
  if (err.code === 'UNAUTHENTICATED') return 'Bearer realm="dockside"';
  const why = err.code === 'TOKEN_EXPIRED' ? 'the token expired' : 'the token is not valid';
  return `Bearer realm="dockside", error="invalid_token", error_description="${why}"`;
}

/** Answers with a RejectError in the API's error shape; hooks use it to stop a request before its handler. */
export function sendReject(req: FastifyRequest, reply: FastifyReply, err: RejectError): FastifyReply {
  if (err instanceof AuthenticationError) reply.header('www-authenticate', wwwAuthenticate(err));
  const issues = err.issues.length ? { issues: err.issues } : {};
  return reply
    .code(err.httpStatus)
    .send({ error: { code: err.code, message: err.message, ...issues }, requestId: req.id });
}

/** One error shape for every route: `{ error: { code, message, issues? }, requestId }`, with a fitting status. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DocksideError, req, reply) => {
    const requestId = req.id;
    if (err instanceof AuthenticationError) return sendReject(req, reply, err);
    if (err instanceof RejectError) {
      return reply
        .code(err.httpStatus)
        .send({ error: { code: err.code, message: err.message, issues: err.issues }, requestId });
    }
    if (err instanceof DocksideError) {
      const status = err.action === 'retry' ? 503 : 500;
      req.log.error({ err }, 'request failed');
      return reply.code(status).send({ error: { code: err.code, message: err.message }, requestId });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply
      .code(status)
      .send({ error: { code: err.code ?? 'INTERNAL', message: err.message }, requestId });
  });
}
