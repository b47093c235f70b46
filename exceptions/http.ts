import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type DetectedException, parseRequest, type Store, type StreamNames } from '../core/mod.ts';
import { evidenceOf, writebackHistoryOf } from './evidence.ts';
import { assign, resolve } from './lifecycle.ts';
import { publishException } from './publish.ts';
import {
  countByTypeAndWarehouse,
  countExceptions,
  exceptionFilterSchema,
  exceptionQuerySchema,
  getException,
  notFound,
  queryExceptions,
} from './store.ts';

const parse = parseRequest;

export const idParam = z.object({ id: z.string().min(1).max(256) });
/** `"me"` stands for the caller. */
export const assignBody = z.object({ assignee: z.string().trim().min(1).max(128) });
export const resolveBody = z.object({ resolution: z.string().trim().min(1).max(1_000) });

/**
 * The exception board's API: list (filters, urgency sort, total), counts per type × warehouse, read,
 * evidence, write-back history, assign, resolve. State changes go through the exceptions stream; who
 * assigned or resolved is kept in the exception's details (`assignedBy`, `resolvedBy`).
 */
export function registerExceptionRoutes(
  app: FastifyInstance,
  deps: { store: Store; js: JetStreamClient; names: StreamNames; partitions: number },
): void {
  app.get('/api/exceptions', async (req) => {
    const q = parse(exceptionQuerySchema, req.query);
    const now = Date.now();
    const [items, total] = await Promise.all([
      queryExceptions(deps.store, q, now),
      countExceptions(deps.store, q, now),
    ]);
    return { items, total, limit: q.limit, offset: q.offset };
  });

  app.get('/api/exceptions/counts', async (req) => {
    const f = parse(exceptionFilterSchema, req.query);
    const cells = await countByTypeAndWarehouse(deps.store, f);
    return { cells, total: cells.reduce((n, c) => n + c.count, 0) };
  });

  const load = async (params: unknown): Promise<DetectedException> => {
    const { id } = parse(idParam, params);
    const ex = await getException(deps.store, id);
    if (!ex) throw notFound(id);
    return ex;
  };

  app.get('/api/exceptions/:id', async (req) => load(req.params));

  app.get('/api/exceptions/:id/evidence', async (req) => evidenceOf(deps.store, await load(req.params)));

  app.get('/api/exceptions/:id/writeback', async (req) => {
    const ex = await load(req.params);
    return writebackHistoryOf(deps.store, ex.id);
  });

  const transition = (
    path: string,
    apply: (body: unknown, ex: DetectedException, userId: string, atMs: number) => DetectedException,
  ) =>
    app.post(path, async (req, reply) => {
      const ex = await load(req.params);
      const next = apply(req.body, ex, req.principal.userId, Date.now());
      await publishException(deps.js, deps.names, deps.partitions, next);
      return reply.code(202).send(next);
    });

  transition('/api/exceptions/:id/assign', (body, ex, userId, at) => {
    const { assignee } = parse(assignBody, body);
    const next = assign(ex, assignee === 'me' ? userId : assignee, at);
    return { ...next, details: { ...next.details, assignedBy: userId } };
  });
  transition('/api/exceptions/:id/resolve', (body, ex, userId, at) => {
    const next = resolve(ex, parse(resolveBody, body).resolution, at);
    return { ...next, details: { ...next.details, resolvedBy: userId } };
  });
}
