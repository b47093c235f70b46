import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryRows, RejectError, type Store } from '../core/mod.ts';
import { fieldIssues, formatIssues } from '../core/zod-issues.ts';

export const querySchema = z.object({
  source: z.string().max(256).optional(),
  code: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `GET /api/dead-letters`: what could not be taken, newest first, with reason and raw input. */
export function registerDeadLetterRoutes(app: FastifyInstance, deps: { store: Store }): void {
  app.get('/api/dead-letters', async (req) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) {
      const issues = fieldIssues(parsed.error, req.query);
      throw new RejectError('QUERY_INVALID', formatIssues(issues), issues);
    }
    const q = parsed.data;
    const where = [q.source ? 'source = {source:String}' : '', q.code ? 'code = {code:String}' : ''].filter(
      Boolean,
    );
    const items = await queryRows<Record<string, unknown>>(
      deps.store,
      `SELECT id, received_at AS receivedAt, source, subject AS position, code, reason, raw
       FROM ${deps.store.table('dead_letters')} FINAL ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY received_at DESC, id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      q,
    );
    return { items, limit: q.limit, offset: q.offset };
  });
}
