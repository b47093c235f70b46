import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type AccessPolicy,
  DEFAULT_MAX_JSON_DEPTH,
  parseJsonGuarded,
  parseRequest,
  queryRows,
  redactRawText,
  type Store,
} from '../core/mod.ts';

export const querySchema = z.object({
  source: z.string().max(256).optional(),
  code: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * Raw input can carry customers' personal data: only roles that may read customer records see it (and then
 * redacted like the logs); everyone else gets `raw: null`.
 */
export const RAW_PERMISSION = 'customers:read' as const;

const parseRaw = (text: string) => parseJsonGuarded(text, DEFAULT_MAX_JSON_DEPTH, 'raw');

/** `GET /api/dead-letters`: what could not be taken, newest first, with reason and (for some roles) raw input. */
export function registerDeadLetterRoutes(
  app: FastifyInstance,
  deps: { store: Store; access: () => AccessPolicy },
): void {
  app.get('/api/dead-letters', async (req) => {
    const q = parseRequest(querySchema, req.query);
    const where = [q.source ? 'source = {source:String}' : '', q.code ? 'code = {code:String}' : ''].filter(
      Boolean,
    );
    const rows = await queryRows<Record<string, unknown> & { raw: string }>(
      deps.store,
      `SELECT id, received_at AS receivedAt, source, subject AS position, code, reason, raw
       FROM ${deps.store.table('dead_letters')} FINAL ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY received_at DESC, id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      q,
    );
    const rawVisible = deps.access().can(req.principal, RAW_PERMISSION);
    const items = rows.map((r) => ({ ...r, raw: rawVisible ? redactRawText(r.raw, parseRaw) : null }));
    return { items, rawVisible, limit: q.limit, offset: q.offset };
  });
}
