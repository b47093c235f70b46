import type { FastifyError, FastifyInstance } from 'fastify';
import { DocksideError, RejectError } from '../core/mod.ts';

/** One error shape for every route: `{ error: { code, message, issues? }, requestId }`, with a fitting status. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | DocksideError, req, reply) => {
    const requestId = req.id;
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
