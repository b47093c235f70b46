import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The planner API's answers, kept in memory. Every answer is a function of stored forecast runs and of
 * complete days' actuals, which change when a run is stored (a few times a day) — yet each costs three
 * ClickHouse reads (~30 ms of CPU on embedded chDB, most of it fixed per query), so a dashboard wall or a
 * planning tool polling one lane would saturate two cores at ~35 answers/s (bench/forecast-api.ts).
 *
 * - Key: the URL (path and query) and whether CSV was asked for by Accept. Answers are not per caller:
 *   the access hook (dashboards/access.ts, a root onRequest hook) and the planner rate limit (a route
 *   onRequest hook) have both run before this preHandler, so a kept answer is never a way around either.
 * - Fresh for `ttlMs` (default 15 s): a run stored by another process (a replica, `dockside forecast run`)
 *   is served within that; a run stored by this process calls `invalidate()` and is served at once.
 * - One computation per key at a time: concurrent misses wait for the first and share its answer, so an
 *   expiry under load costs one set of reads, not one per waiting request. A failed or non-200 answer is
 *   not kept and lets the waiting requests compute their own.
 * - At most `maxEntries` answers, the oldest dropped first.
 */
export interface ReplyCacheOptions {
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly at: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers an answer is replayed with (the rest, such as rate-limit counts, belong to each request). */
const KEPT_HEADERS = ['content-type', 'content-disposition'] as const;

export interface ReplyCache {
  /** Forgets every answer (a forecast run was stored). */
  invalidate(): void;
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
}

/** A cache the planner routes register on their plugin (registerForecastRoutes does). */
export type PlannerCache = ReplyCache & { register(scope: FastifyInstance): void };

export function replyCache(opts: ReplyCacheOptions = {}): PlannerCache {
  const ttlMs = opts.ttlMs ?? 15_000;
  const maxEntries = opts.maxEntries ?? 2_000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Entry | undefined>>();
  const leaders = new WeakMap<
    FastifyRequest,
    { key: string; generation: number; settle: (e?: Entry) => void }
  >();
  let generation = 0;
  let hits = 0;
  let misses = 0;

  const keyOf = (req: FastifyRequest) =>
    `${req.url}\u001f${(req.headers.accept ?? '').includes('text/csv') ? 'csv' : ''}`;
  const fresh = (key: string) => {
    const e = entries.get(key);
    if (e && now() - e.at < ttlMs) return e;
    if (e) entries.delete(key);
    return undefined;
  };
  const replay = (reply: FastifyReply, e: Entry) => {
    hits++;
    reply.headers(e.headers);
    return reply.send(e.body);
  };
  const settle = (req: FastifyRequest, e?: Entry) => {
    const lead = leaders.get(req);
    if (!lead) return;
    leaders.delete(req);
    inFlight.delete(lead.key);
    // An answer computed before an invalidation may predate the new run: hand it to its waiters only.
    if (e && lead.generation === generation) {
      entries.delete(lead.key);
      entries.set(lead.key, e);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value ?? '');
    }
    lead.settle(e);
  };

  return {
    invalidate() {
      generation++;
      entries.clear();
    },
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
    register(scope) {
      // preHandler: after every onRequest hook, route-level ones included (the rate limit adds its own there).
      scope.addHook('preHandler', async (req, reply) => {
        if (req.method !== 'GET') return;
        const key = keyOf(req);
        const hit = fresh(key);
        if (hit) return replay(reply, hit);
        const pending = inFlight.get(key);
        if (pending) {
          const shared = await pending;
          if (shared) return replay(reply, shared);
          return;
        }
        misses++;
        let resolve: (e?: Entry) => void = () => undefined;
        inFlight.set(key, new Promise((r) => (resolve = r)));
        leaders.set(req, { key, generation, settle: resolve });
      });
      scope.addHook('onSend', async (req, reply, payload) => {
        if (!leaders.has(req)) return payload;
        if (reply.statusCode !== 200 || typeof payload !== 'string') {
          settle(req);
          return payload;
        }
        const headers: Record<string, string> = {};
        for (const h of KEPT_HEADERS) {
          const v = reply.getHeader(h);
          if (v !== undefined) headers[h] = String(v);
        }
        settle(req, { at: now(), body: payload, headers });
        return payload;
      });
      // A request that ends without onSend (aborted, a crash in a hook) must not leave its waiters waiting.
      scope.addHook('onResponse', async (req) => settle(req));
      scope.addHook('onRequestAbort', async (req) => settle(req));
    },
  };
}
