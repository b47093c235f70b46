import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type DocksideError, RejectError } from '../core/mod.ts';
import { intIn } from './cli-options.ts';
import type { ForecastRoutesDeps } from './http-common.ts';
import {
  boundColumns,
  boundsAt,
  csvText,
  forecastPoint,
  isoTime,
  laneFields,
  laneFilter,
  limits,
  models,
  ofRun,
  page,
  pageInfo,
  parseQuery,
  runFields,
  scoreFields,
  sendCsv,
  unknownLane,
  wantsCsv,
  weightsOf,
} from './http-common.ts';
import { registerDeskRoutes } from './http-desk.ts';
import { hierarchyReply } from './http-hierarchy.ts';
import { registerLiveRoutes } from './http-live.ts';
import type { AccuracyReply, AlertsReply, LaneForecastsReply } from './http-replies.ts';
import { registerTruckRoutes } from './http-trucks.ts';

export type { ForecastRoutesDeps } from './http-common.ts';

import {
  accuracyRows,
  alertRows,
  forecastRows,
  type LatestRun,
  laneKnown,
  latestRuns,
  type StoredForecastRow,
} from './store-queries.ts';
import { type ForecastPoint, weeklySums } from './weekly.ts';

/**
 * The planner API, a thin adapter over store-queries.ts:
 *   GET /api/forecasts            latest forecast per lane, daily or weekly, JSON or CSV, paginated;
 *                                 ?level=warehouse|total: reconciled warehouse and network totals
 *   GET /api/forecasts/accuracy   backtest MAPE/WAPE/MASE per lane, the model chosen, when it was backtested
 *   GET /api/forecasts/alerts     forecast-delta alerts, newest first
 *   GET /api/forecasts/lanes, GET /api/forecasts/series   the forecast desk's reads (http-desk.ts)
 *   GET /api/forecasts/trucks     trucks per lane and day at a service level (http-trucks.ts)
 *   GET /api/forecasts/live       the served forecast against its peers as actuals arrive (http-live.ts)
 * Answers are typed by the schemas in http-replies.ts, from which the OpenAPI document is generated
 * (dashboards/openapi.ts; served at /api/forecasts/openapi.json and /docs/json).
 * Everything under one encapsulated plugin with its own rate limit and error shape
 * (`{ error: { code, message, issues }, requestId }`, as the dashboards server answers).
 */

export const forecastsQuery = z.strictObject({
  ...laneFields,
  ...page,
  horizon: intIn(1, 365).optional(),
  model: z.enum(models).optional(),
  granularity: z.enum(['day', 'week']).default('day'),
  format: z.enum(['json', 'csv']).optional(),
  /** lane (default), or warehouse and network totals reconciled from the lanes (http-hierarchy.ts). */
  level: z.enum(['lane', 'warehouse', 'total']).default('lane'),
});
export const accuracyQuery = z.strictObject({
  ...laneFields,
  ...page,
  model: z.enum(models).optional(),
  format: z.enum(['json', 'csv']).optional(),
});
export const alertsQuery = z.strictObject({
  ...laneFields,
  ...page,
  since: z.iso.datetime({ offset: true }).optional(),
});

export function registerForecastRoutes(app: FastifyInstance, deps: ForecastRoutesDeps): void {
  app.register(async (scope) => {
    scope.setErrorHandler((err: FastifyError | DocksideError, req, reply) => {
      if (err instanceof RejectError) {
        return reply
          .code(err.httpStatus)
          .send({ error: { code: err.code, message: err.message, issues: err.issues }, requestId: req.id });
      }
      const status =
        'statusCode' in err && typeof err.statusCode === 'number' && err.statusCode >= 400
          ? err.statusCode
          : 500;
      if (status >= 500) deps.logger.error({ err, url: req.url }, 'forecast API request failed');
      return reply.code(status).send({
        error: { code: err.code ?? 'INTERNAL', message: status >= 500 ? 'internal error' : err.message },
        requestId: req.id,
      });
    });
    await scope.register(rateLimit, {
      max: deps.rateLimitPerMinute ?? 120,
      timeWindow: '1 minute',
      errorResponseBuilder: (_req, ctx) =>
        new RejectError(
          'RATE_LIMITED',
          // ctx.after is the time left, not the window: the window is stated as configured.
          `rate limit: at most ${ctx.max} requests per minute from one client on the planner API; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`,
          [],
          {
            httpStatus: 429,
          },
        ),
    });

    deps.cache?.register(scope);
    registerDeskRoutes(scope, deps);
    registerTruckRoutes(scope, deps);
    registerLiveRoutes(scope, deps);

    scope.get('/api/forecasts', async (req, reply) => {
      const q = parseQuery(forecastsQuery, req.query);
      if (q.level !== 'lane')
        return hierarchyReply(deps, { ...q, level: q.level }, req.headers.accept, reply);
      const filter = laneFilter(q);
      const { runs, total } = await latestRuns(deps.store, filter, limits(q));
      if (total === 0 && q.lane) throw unknownLane(q.lane, 'a stored forecast');
      const stored = Math.min(...runs.map((r) => r.horizon));
      if (q.horizon !== undefined && runs.length > 0 && q.horizon > stored) {
        throw new RejectError(
          'HORIZON_BEYOND_FORECAST',
          `horizon: got ${q.horizon}, expected at most ${stored} (the stored forecast covers ${stored} days; \`dockside forecast run --horizon ${q.horizon}\` makes a longer one)`,
          [{ field: 'horizon', value: q.horizon, expected: `an integer 1..${stored}` }],
        );
      }
      const rows = await forecastRows(deps.store, q.measure, runs, q.model, q.horizon ?? 365);
      const items = runs.map((run) => forecastItem(run, rows, q.granularity));
      if (wantsCsv(q.format, req.headers.accept)) return sendCsv(reply, forecastsCsv(items));
      const answer: LaneForecastsReply = {
        measure: q.measure,
        granularity: q.granularity,
        ...pageInfo(q, total),
        data: items,
      };
      return answer;
    });

    scope.get('/api/forecasts/accuracy', async (req, reply) => {
      const q = parseQuery(accuracyQuery, req.query);
      const filter = laneFilter(q);
      const { rows, total } = await accuracyRows(deps.store, filter, q.model, limits(q));
      if (total === 0 && q.lane && !(await laneKnown(deps.store, filter)))
        throw unknownLane(q.lane, 'a backtest');
      const data = rows.map((r) => ({
        lane: r.lane,
        warehouse: r.warehouse_id,
        runId: r.run_id,
        backtestedAt: isoTime(r.backtested),
        model: r.model,
        served: r.served === 1,
        selectedModel: r.selected_model,
        ensembleWeights: weightsOf(r.weights),
        horizon: r.horizon,
        ...scoreFields(r),
      }));
      if (wantsCsv(q.format, req.headers.accept)) return sendCsv(reply, accuracyCsv(data));
      const answer: AccuracyReply = { measure: q.measure, ...pageInfo(q, total), data };
      return answer;
    });

    scope.get('/api/forecasts/alerts', async (req) => {
      const q = parseQuery(alertsQuery, req.query);
      const filter = { ...laneFilter(q), ...(q.since ? { sinceMs: Date.parse(q.since) } : {}) };
      const { rows, total } = await alertRows(deps.store, filter, limits(q));
      const answer: AlertsReply = {
        measure: q.measure,
        ...pageInfo(q, total),
        data: rows.map((r) => ({
          id: r.id,
          // forecast_delta (a lane's next 7 days moved) or forecast_mape (the live accuracy KPI crossed its threshold).
          kind: r.kind,
          createdAt: isoTime(r.created),
          lane: r.lane,
          warehouse: r.warehouse_id,
          runId: r.run_id,
          previousRunId: r.previous_run_id,
          windowStart: r.window_from,
          windowEnd: r.window_to,
          previousVolume: r.previous_volume,
          newVolume: r.new_volume,
          change: r.change,
          threshold: r.threshold,
          direction: r.direction,
          ...(r.kind === 'forecast_mape' ? { value: r.value } : {}),
        })),
      };
      return answer;
    });
  });
}

interface ForecastItem {
  readonly lane: string;
  readonly warehouse: string;
  readonly runId: string;
  readonly createdAt: string;
  readonly model: string;
  readonly points: readonly (ForecastPoint & { days?: number })[];
}

function forecastItem(
  run: LatestRun,
  rows: readonly StoredForecastRow[],
  granularity: 'day' | 'week',
): ForecastItem {
  const mine = ofRun(rows, run);
  const daily: ForecastPoint[] = mine.map(forecastPoint);
  return {
    ...runFields(run),
    model: mine[0]?.model ?? run.served,
    points: granularity === 'week' ? weeklySums(daily) : daily,
  };
}

function forecastsCsv(items: readonly ForecastItem[]): string {
  const levels = [
    ...new Set(items.flatMap((i) => i.points.flatMap((p) => p.intervals.map((x) => x.level)))),
  ].sort((a, b) => a - b);
  const header = ['lane', 'warehouse', 'date', 'mean', ...boundColumns(levels), 'model', 'run_id'];
  return csvText(
    header,
    items.flatMap((item) =>
      item.points.map((p) => [
        item.lane,
        item.warehouse,
        p.date,
        p.mean,
        ...boundsAt(p.intervals, levels),
        item.model,
        item.runId,
      ]),
    ),
  );
}

function accuracyCsv(rows: readonly Record<string, unknown>[]): string {
  const header = [
    'lane',
    'warehouse',
    'model',
    'selectedModel',
    'mape',
    'mapeSkippedZeros',
    'wape',
    'mase',
    'smape',
    'bias',
    'folds',
    'points',
    'backtestedAt',
    'runId',
  ];
  return csvText(
    header,
    rows.map((r) => header.map((h) => r[h])),
  );
}
