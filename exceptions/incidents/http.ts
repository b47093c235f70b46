import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import {
  type DetectedException,
  type JetStreamPublisher,
  parseRequest,
  RejectError,
  type Store,
  type StreamNames,
} from '../../core/mod.ts';
import { assignBy, checkExpectedVersion, resolveBy, VersionConflictError } from '../lifecycle.ts';
import type { LifecycleStore } from '../lifecycle-store.ts';
import { publishException } from '../publish.ts';
import { getExceptions } from '../store.ts';
import type { IncidentSnapshot } from './compute.ts';
import {
  type Incident,
  type IncidentActionReply,
  type IncidentListQuery,
  incidentAssignBody,
  incidentIdParam,
  incidentListQuery,
  incidentResolveBody,
} from './schema.ts';
import type { IncidentView } from './view.ts';

export function incidentNotFound(id: string): RejectError {
  return new RejectError(
    'INCIDENT_NOT_FOUND',
    `incident ${id} not found (incidents are recomputed from the exceptions of the window)`,
    [{ field: 'id', value: id, expected: 'the id of a current incident (GET /api/incidents)' }],
    { httpStatus: 404 },
  );
}

function matches(i: Incident, q: IncidentListQuery): boolean {
  if (q.status !== 'all' && i.status !== q.status) return false;
  if (q.type && !q.type.includes(i.type)) return false;
  if (q.warehouseId && !i.warehouseIds.includes(q.warehouseId)) return false;
  if (q.carrierId && !i.carrierIds.includes(q.carrierId)) return false;
  return true;
}

/** `GET /api/incidents`' answer (also what `replay --incidents` prints per item). */
export function listReply(snap: IncidentSnapshot, q: IncidentListQuery, computedAtMs: number) {
  const hits = snap.incidents.filter((i) => matches(i, q));
  const open = snap.incidents.filter((i) => i.status === 'open').length;
  return {
    items: hits.slice(q.offset, q.offset + q.limit),
    total: hits.length,
    limit: q.limit,
    offset: q.offset,
    counts: {
      open,
      resolved: snap.incidents.length - open,
      grouped: snap.incidents.reduce((n, i) => n + i.counts.members, 0),
      exceptions: snap.exceptions,
      overBudget: snap.overBudget.size,
    },
    budget: snap.budget,
    window: snap.window,
    computedAt: new Date(computedAtMs).toISOString(),
  };
}

/** Members are acted on this many at a time (each is a KV compare-and-set and a publish). */
const CONCURRENCY = 8;

async function eachLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Incidents over the exception board's lifecycle: list, read (with the member exceptions), and assign or
 * resolve an incident, which acts on each open or assigned member through the same compare-and-set
 * transition as `POST /api/exceptions/:id/assign|resolve` (its own history record, actor = the caller).
 * A member that changed meanwhile, or is already resolved, is reported and left alone; the others act.
 */
export function registerIncidentRoutes(
  app: FastifyInstance,
  deps: {
    view: IncidentView;
    store: Store;
    /** People's transitions (compare-and-set on NATS KV): one per process, shared with the exceptions sink. */
    lifecycle: LifecycleStore;
    publisher: JetStreamPublisher;
    names: StreamNames;
    partitions: number;
  },
): void {
  const { lifecycle } = deps;

  app.get('/api/incidents', async (req) => {
    const q = parseRequest(incidentListQuery, req.query);
    return listReply(await deps.view.current(), q, Date.now());
  });

  const find = async (params: unknown) => {
    const { id } = parseRequest(incidentIdParam, params);
    const snap = await deps.view.current();
    const incident = snap.byId.get(id);
    if (!incident) throw incidentNotFound(id);
    return { incident, snap };
  };

  /** The members' latest states in the incident's (event-time) order. */
  const membersOf = async (incident: Incident) => {
    const byId = new Map((await getExceptions(deps.store, incident.memberIds)).map((e) => [e.id, e]));
    return incident.memberIds.flatMap((id) => {
      const ex = byId.get(id);
      return ex ? [deps.view.latest(ex)] : [];
    });
  };

  app.get('/api/incidents/:id', async (req) => {
    const { incident, snap } = await find(req.params);
    return {
      ...incident,
      members: await membersOf(incident),
      overBudgetIds: incident.memberIds.filter((id) => snap.overBudget.has(id)),
    };
  });

  const act = <B extends { expectedVersions?: Record<string, number> | undefined }>(
    action: 'assign' | 'resolve',
    schema: z.ZodType<B>,
    apply: (body: B, ex: DetectedException, userId: string, at: number) => DetectedException,
  ) =>
    app.post(`/api/incidents/:id/${action}`, async (req, reply) => {
      const body = parseRequest(schema, req.body);
      const { incident } = await find(req.params);
      const userId = req.principal.userId;
      const at = Date.now();
      const members = await membersOf(incident);
      const published: DetectedException[] = [];
      const outcomes = await eachLimited(members, CONCURRENCY, async (member) => {
        if (member.status === 'resolved')
          return {
            id: member.id,
            outcome: 'already_resolved' as const,
            status: member.status,
            version: member.version,
          };
        try {
          const next = await lifecycle.transition(
            member.id,
            async () => member,
            (ex) => {
              const expected = body.expectedVersions?.[ex.id];
              if (expected !== undefined) checkExpectedVersion(ex, expected);
              const changed = apply(body, ex, userId, at);
              return { ...changed, details: { ...changed.details, incidentId: incident.id } };
            },
            userId,
            at,
          );
          if (!next) return { id: member.id, outcome: 'not_found' as const };
          await publishException(deps.publisher, deps.names, deps.partitions, next);
          published.push(next);
          return { id: member.id, outcome: 'done' as const, status: next.status, version: next.version };
        } catch (err) {
          if (!(err instanceof VersionConflictError)) throw err;
          const outcome = err.code === 'EXCEPTION_RESOLVED' ? 'already_resolved' : 'conflict';
          return {
            id: member.id,
            outcome,
            status: err.current.status,
            version: err.current.version,
          } as const;
        }
      });
      deps.view.apply(published);
      const count = (o: string) => outcomes.filter((x) => x.outcome === o).length;
      const answer: IncidentActionReply = {
        incidentId: incident.id,
        action,
        outcomes,
        counts: {
          done: count('done'),
          conflict: count('conflict'),
          alreadyResolved: count('already_resolved'),
          notFound: count('not_found'),
        },
      };
      return reply.code(202).send(answer);
    });

  act('assign', incidentAssignBody, ({ assignee }, ex, userId, at) => assignBy(ex, assignee, userId, at));
  act('resolve', incidentResolveBody, ({ resolution }, ex, userId, at) =>
    resolveBy(ex, resolution, userId, at),
  );
}
