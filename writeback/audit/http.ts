import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Store } from '../../core/mod.ts';
import { chainNameSchema } from './entry.ts';
import { rejectFrom } from './issues.ts';
import { auditQuerySchema, queryAudit } from './query.ts';
import { verifyAudit } from './verify.ts';

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw rejectFrom('REQUEST_INVALID', r.error, input);
}

export const verifyQuery = z.object({ chain: chainNameSchema.optional() });

/**
 * The decision log's read API (permission `audit:read`, applied centrally):
 * `GET /api/audit` → `{ items, limit, offset }` and `GET /api/audit/verify[?chain=]` → the verification report
 * (200 either way; `ok` says whether the log is intact and `firstBad` names the first bad entry).
 */
export function registerAuditRoutes(app: FastifyInstance, deps: { store: Store; database: string }): void {
  app.get('/api/audit', async (req) => {
    const q = parse(auditQuerySchema, req.query);
    const items = await queryAudit(deps.store, deps.database, q);
    return { items, limit: q.limit, offset: q.offset };
  });

  app.get('/api/audit/verify', async (req) => {
    const q = parse(verifyQuery, req.query);
    return verifyAudit(deps.store, deps.database, q.chain !== undefined ? { chain: q.chain } : {});
  });
}
