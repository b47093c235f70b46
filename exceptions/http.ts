import type { JetStreamClient } from '@nats-io/jetstream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseRequest, type Store, type StreamNames } from '../core/mod.ts';
import { assign, resolve } from './lifecycle.ts';
import { publishException } from './publish.ts';
import { exceptionQuerySchema, getException, notFound, queryExceptions } from './store.ts';

const parse = parseRequest;

const idParam = z.object({ id: z.string().min(1).max(256) });
const assignBody = z.object({ assignee: z.string().min(1).max(128) });
const resolveBody = z.object({ resolution: z.string().min(1).max(1_000) });

/** The exception board's API: list, read, assign, resolve. State changes go through the exceptions stream. */
export function registerExceptionRoutes(
  app: FastifyInstance,
  deps: { store: Store; js: JetStreamClient; names: StreamNames; partitions: number },
): void {
  app.get('/api/exceptions', async (req) => {
    const q = parse(exceptionQuerySchema, req.query);
    const items = await queryExceptions(deps.store, q);
    return { items, limit: q.limit, offset: q.offset };
  });

  app.get('/api/exceptions/:id', async (req) => {
    const { id } = parse(idParam, req.params);
    const ex = await getException(deps.store, id);
    if (!ex) throw notFound(id);
    return ex;
  });

  const transition = (
    path: string,
    apply: (
      body: unknown,
      ex: Awaited<ReturnType<typeof getException>> & object,
    ) => ReturnType<typeof assign>,
  ) =>
    app.post(path, async (req, reply) => {
      const { id } = parse(idParam, req.params);
      const ex = await getException(deps.store, id);
      if (!ex) throw notFound(id);
      const next = apply(req.body, ex);
      await publishException(deps.js, deps.names, deps.partitions, next);
      return reply.code(202).send(next);
    });

  transition('/api/exceptions/:id/assign', (body, ex) =>
    assign(ex, parse(assignBody, body).assignee, Date.now()),
  );
  transition('/api/exceptions/:id/resolve', (body, ex) =>
    resolve(ex, parse(resolveBody, body).resolution, Date.now()),
  );
}
