import type { FastifyReply } from 'fastify';
import { RejectError } from '../core/mod.ts';
import { HIERARCHY_METHOD, nodeForecasts, splitEnd, warehouseSplits } from './hierarchy.ts';
import type { ForecastRoutesDeps } from './http-common.ts';
import { boundColumns, boundsAt, csvText, pageInfo, sendCsv, wantsCsv } from './http-common.ts';
import type { HierarchyForecastsReply } from './http-replies.ts';
import type { Measure } from './store.ts';
import { forecastRows, latestRuns } from './store-queries.ts';
import { weeklySums } from './weekly.ts';

/**
 * `GET /api/forecasts?level=warehouse|total`: the latest lane forecasts reconciled into warehouse and
 * network totals (forecasting/hierarchy.ts). One item per warehouse (or the one TOTAL), paginated like
 * lanes; `warehouse` picks one warehouse; `lane` belongs to level=lane and is refused here.
 */
export interface HierarchyQuery {
  readonly level: 'warehouse' | 'total';
  readonly measure: Measure;
  readonly lane?: string | undefined;
  readonly warehouse?: string | undefined;
  readonly model?: string | undefined;
  readonly horizon?: number | undefined;
  readonly granularity: 'day' | 'week';
  readonly format?: 'json' | 'csv' | undefined;
  readonly page: number;
  readonly pageSize: number;
}

/** Every lane's latest run is read: a warehouse or the network needs all of its lanes. */
const ALL_LANES = { limit: 1_000_000, offset: 0 };

export async function hierarchyReply(
  deps: ForecastRoutesDeps,
  q: HierarchyQuery,
  accept: string | undefined,
  reply: FastifyReply,
): Promise<unknown> {
  if (q.lane !== undefined) {
    throw new RejectError(
      'REQUEST_INVALID',
      `lane: got ${JSON.stringify(q.lane)} with level=${q.level}, expected no lane (a lane is level=lane; level=${q.level} sums every lane)`,
      [{ field: 'lane', value: q.lane, expected: 'absent when level is warehouse or total' }],
    );
  }
  const { runs } = await latestRuns(deps.store, { measure: q.measure }, ALL_LANES);
  const rows = await forecastRows(deps.store, q.measure, runs, q.model, q.horizon ?? 365);
  const splits = runs.some((r) => r.warehouse_id === '')
    ? await warehouseSplits(deps.store, splitEnd(runs))
    : new Map<string, Map<string, number>>();
  const all = nodeForecasts(runs, rows, splits, q.level).filter(
    (n) => q.level === 'total' || q.warehouse === undefined || n.key === q.warehouse,
  );
  if (q.level === 'warehouse' && q.warehouse !== undefined && all.length === 0 && runs.length > 0) {
    throw new RejectError(
      'WAREHOUSE_UNKNOWN',
      `warehouse: got ${JSON.stringify(q.warehouse)}, expected a warehouse with forecast lanes`,
      [{ field: 'warehouse', value: q.warehouse, expected: 'a warehouse with forecast lanes' }],
      { httpStatus: 404 },
    );
  }
  const start = (q.page - 1) * q.pageSize;
  const model = q.model ?? runs[0]?.served ?? 'ensemble';
  const data = all.slice(start, start + q.pageSize).map((n) => ({
    level: n.level,
    key: n.key,
    lanes: n.lanes,
    model,
    reconciliation: HIERARCHY_METHOD,
    points: q.granularity === 'week' ? weeklySums(n.points) : n.points,
  }));
  if (wantsCsv(q.format, accept)) {
    const levels = [
      ...new Set(data.flatMap((d) => d.points.flatMap((p) => p.intervals.map((i) => i.level)))),
    ].sort((a, b) => a - b);
    const header = ['level', 'key', 'date', 'mean', ...boundColumns(levels), 'model', 'reconciliation'];
    const lines = data.flatMap((d) =>
      d.points.map((p) => [
        d.level,
        d.key,
        p.date,
        p.mean,
        ...boundsAt(p.intervals, levels),
        d.model,
        d.reconciliation,
      ]),
    );
    return sendCsv(reply, csvText(header, lines));
  }
  const answer: HierarchyForecastsReply = {
    measure: q.measure,
    granularity: q.granularity,
    level: q.level,
    reconciliation: HIERARCHY_METHOD,
    ...pageInfo(q, all.length),
    data,
  };
  return answer;
}
