import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ForecastRoutesDeps } from './http-common.ts';
import { laneFields, page, pageInfo, parseQuery } from './http-common.ts';
import type { LiveReply } from './http-replies.ts';
import { livePeers } from './live-peers.ts';

/**
 * `GET /api/forecasts/live`: the served forecast against its peers on the caller's lanes as actuals arrive
 * (live-peers.ts), per lane and pooled; `lane`/`warehouse` narrow the lanes listed, not the pooled figure.
 * A lane not scored yet (no forecast day of it has ended) is an empty list, not an error: that is the
 * normal state of a new lane.
 */
export const liveQuery = z.strictObject({ ...laneFields, ...page });

export function registerLiveRoutes(scope: FastifyInstance, deps: ForecastRoutesDeps): void {
  scope.get('/api/forecasts/live', async (req) => {
    const q = parseQuery(liveQuery, req.query);
    const live = await livePeers(deps.store, { measure: q.measure, nowMs: (deps.now ?? Date.now)() });
    const lanes = (live?.lanes ?? []).filter(
      (l) =>
        (q.lane === undefined || l.lane === q.lane) &&
        (q.warehouse === undefined || l.warehouse === q.warehouse),
    );
    const start = (q.page - 1) * q.pageSize;
    const answer: LiveReply = {
      measure: q.measure,
      window: live ? { from: live.from, to: live.to, maxStep: live.maxStep } : null,
      peers: live?.peers ?? [],
      network: live?.network ?? null,
      ...pageInfo(q, lanes.length),
      data: lanes.slice(start, start + q.pageSize),
    };
    return answer;
  });
}
