import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type DetectedException,
  exceptionStatuses,
  type JetStreamPublisher,
  parseRequest,
  type Store,
  type StreamNames,
} from '../core/mod.ts';
import { evidenceOf, writebackHistoryOf } from './evidence.ts';
import {
  assignBy,
  checkExpectedVersion,
  currentState,
  historyOf,
  resolveBy,
  transitionSchema,
  VersionConflictError,
} from './lifecycle.ts';
import type { LifecycleStore } from './lifecycle-store.ts';
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
/** The version the caller saw (compare-and-set): if the exception changed since, the answer is a 409. */
const expectedVersion = z.number().int().nonnegative().meta({
  description: "The exception's `version` the caller acted on; a newer one answers 409 with `current`",
});
/** `GET /api/exceptions/:id/history`. */
export const historyReply = z.object({
  id: z.string(),
  status: z.enum(exceptionStatuses),
  version: z.number().int(),
  items: z.array(transitionSchema),
});
/** `"me"` stands for the caller. */
export const assignBody = z.object({ assignee: z.string().trim().min(1).max(128), expectedVersion });
export const resolveBody = z.object({ resolution: z.string().trim().min(1).max(1_000), expectedVersion });

/**
 * The exception board's API: list (filters, urgency sort, total), counts per type × warehouse, read,
 * evidence, write-back history, assign, resolve, lifecycle history. A transition is compare-and-set against
 * the latest state (NATS KV, see LifecycleStore), then published on the exceptions stream (ClickHouse follows);
 * who assigned or resolved is kept in the exception's details (`assignedBy`, `resolvedBy`).
 */
export function registerExceptionRoutes(
  app: FastifyInstance,
  deps: {
    store: Store;
    /** People's transitions (compare-and-set on NATS KV): one per process, shared with the exceptions sink. */
    lifecycle: LifecycleStore;
    publisher: JetStreamPublisher;
    names: StreamNames;
    partitions: number;
  },
): void {
  const { lifecycle } = deps;

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

  /** The latest state: ClickHouse's copy merged with the lifecycle record (which is written first). */
  const load = async (params: unknown) => {
    const { id } = parse(idParam, params);
    const [stored, record] = await Promise.all([getException(deps.store, id), lifecycle.record(id)]);
    const ex = currentState(stored, record);
    if (!ex) throw notFound(id);
    return { ex, record };
  };

  app.get('/api/exceptions/:id', async (req) => (await load(req.params)).ex);

  app.get('/api/exceptions/:id/evidence', async (req) => evidenceOf(deps.store, (await load(req.params)).ex));

  app.get('/api/exceptions/:id/writeback', async (req) => {
    const { ex } = await load(req.params);
    return writebackHistoryOf(deps.store, ex.id);
  });

  app.get('/api/exceptions/:id/history', async (req) => {
    const { ex, record } = await load(req.params);
    return { id: ex.id, status: ex.status, version: ex.version, items: historyOf(ex, record) };
  });

  const transition = <B extends { expectedVersion: number }>(
    path: string,
    schema: z.ZodType<B>,
    apply: (body: B, ex: DetectedException, userId: string, atMs: number) => DetectedException,
  ) =>
    app.post(path, async (req, reply) => {
      const { id } = parse(idParam, req.params);
      const body = parse(schema, req.body);
      const userId = req.principal.userId;
      const at = Date.now();
      try {
        const next = await lifecycle.transition(
          id,
          () => getException(deps.store, id),
          (ex) => {
            checkExpectedVersion(ex, body.expectedVersion);
            return apply(body, ex, userId, at);
          },
          userId,
          at,
        );
        if (!next) throw notFound(id);
        await publishException(deps.publisher, deps.names, deps.partitions, next);
        return reply.code(202).send(next);
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        // The error shape plus the state that won, so the caller can show it and decide again.
        return reply.code(409).send({
          error: { code: err.code, message: err.message, issues: err.issues },
          current: err.current,
          requestId: req.id,
        });
      }
    });

  transition('/api/exceptions/:id/assign', assignBody, ({ assignee }, ex, userId, at) =>
    assignBy(ex, assignee, userId, at),
  );
  transition('/api/exceptions/:id/resolve', resolveBody, ({ resolution }, ex, userId, at) =>
    resolveBy(ex, resolution, userId, at),
  );
}
