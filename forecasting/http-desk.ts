import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { intIn } from './cli-options.ts';
import { dayFromMs, formatDay, parseDay } from './days.ts';
import { laneActuals } from './desk-queries.ts';
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
import type { LanesReply, SeriesReply } from './http-replies.ts';
import { latestDay } from './store.ts';
import {
  forecastRows,
  type LatestRun,
  latestRuns,
  runAccuracy,
  type StoredAccuracyRow,
} from './store-queries.ts';

/**
 * The forecast desk's routes (inside the planner API's plugin: same rate limit and error shape):
 *   GET /api/forecasts/lanes    lanes with a stored forecast, searchable, each with the served model's
 *                               backtested MAPE/WAPE/MASE beside seasonal naive's (the accuracy table)
 *   GET /api/forecasts/series   one lane: actual daily volume, the forecast with its intervals, and every
 *                               model's backtest of the run that made it; CSV = one row per day of both
 */
export const BASELINE_MODEL = 'seasonal-naive';

export const lanesQuery = z.strictObject({
  q: z.string().max(128).optional(),
  warehouse: laneFields.warehouse,
  measure: laneFields.measure,
  ...page,
});

export const seriesQuery = z.strictObject({
  lane: z.string().min(1).max(128),
  warehouse: z.string().max(128).default(''),
  measure: laneFields.measure,
  history: intIn(7, 730).default(56),
  format: z.enum(['json', 'csv']).optional(),
});

export interface Scores {
  readonly mape: number | null;
  readonly wape: number | null;
  readonly mase: number | null;
}

const scores = (r: StoredAccuracyRow | undefined): Scores | null =>
  r && r.points > 0 ? { mape: r.mape, wape: r.wape, mase: r.mase } : null;

/** 1 − WAPE / seasonal naive's WAPE: the share of the baseline's error the served model removes. */
function skill(served: Scores | null, baseline: Scores | null): number | null {
  if (served?.wape == null || baseline?.wape == null || baseline.wape === 0) return null;
  return 1 - served.wape / baseline.wape;
}

function laneSummary(run: LatestRun, rows: readonly StoredAccuracyRow[]) {
  const mine = ofRun(rows, run);
  const served = mine.find((r) => r.model === run.served);
  const accuracy = scores(served);
  const baseline = scores(mine.find((r) => r.model === BASELINE_MODEL));
  return {
    ...runFields(run),
    origin: run.origin,
    horizon: run.horizon,
    model: run.served,
    selectedModel: served?.selected_model ?? null,
    backtestedAt: served ? isoTime(served.backtested) : null,
    folds: served?.folds ?? 0,
    points: served?.points ?? 0,
    accuracy,
    baseline: baseline ? { model: BASELINE_MODEL, ...baseline } : null,
    skill: skill(accuracy, baseline),
  };
}

function role(model: string, served: string, selected: string | undefined) {
  if (model === served) return 'served';
  if (model === BASELINE_MODEL) return 'baseline';
  if (model === selected) return 'selected';
  return null;
}

export function registerDeskRoutes(scope: FastifyInstance, deps: ForecastRoutesDeps): void {
  scope.get('/api/forecasts/lanes', async (req) => {
    const q = parseQuery(lanesQuery, req.query);
    const { runs, total } = await latestRuns(deps.store, laneFilter(q), limits(q));
    const accuracy = await runAccuracy(deps.store, q.measure, runs);
    const answer: LanesReply = {
      measure: q.measure,
      ...pageInfo(q, total),
      data: runs.map((run) => laneSummary(run, accuracy)),
    };
    return answer;
  });

  scope.get('/api/forecasts/series', async (req, reply) => {
    const q = parseQuery(seriesQuery, req.query);
    const { runs } = await latestRuns(
      deps.store,
      { measure: q.measure, lane: q.lane, warehouse: q.warehouse },
      { limit: 1, offset: 0 },
    );
    const run = runs[0];
    if (!run)
      throw unknownLane(q.lane, `a stored ${q.measure} forecast (warehouse ${JSON.stringify(q.warehouse)})`);
    const origin = parseDay(run.origin) ?? dayFromMs(Date.now());
    // Complete days only: never today's partial volume, never days past the stored data.
    const dataEnd = (await latestDay(deps.store, q.measure)) ?? origin;
    const until = Math.min(origin + run.horizon, dayFromMs(Date.now()), dataEnd);
    const [actuals, points, accuracy] = await Promise.all([
      laneActuals(deps.store, {
        measure: q.measure,
        lane: run.lane,
        warehouse: run.warehouse_id,
        from: formatDay(origin - q.history),
        to: formatDay(Math.max(until, origin - q.history)),
      }),
      forecastRows(deps.store, q.measure, [run], undefined, run.horizon),
      runAccuracy(deps.store, q.measure, [run]),
    ]);
    const served = accuracy.find((r) => r.model === run.served);
    const body: SeriesReply = {
      measure: q.measure,
      ...runFields(run),
      origin: run.origin,
      horizon: run.horizon,
      historyDays: q.history,
      levels: run.levels,
      model: run.served,
      selectedModel: served?.selected_model ?? null,
      ensembleWeights: served ? weightsOf(served.weights) : {},
      backtestedAt: served ? isoTime(served.backtested) : null,
      actuals,
      forecast: points.map(forecastPoint),
      accuracy: accuracy.map((r) => ({
        model: r.model,
        role: role(r.model, run.served, served?.selected_model),
        ...scoreFields(r),
      })),
    };
    if (wantsCsv(q.format, req.headers.accept)) {
      const name = `forecast-${run.lane.replace(/[^A-Za-z0-9_-]+/g, '_')}-${run.origin}.csv`;
      return sendCsv(reply, seriesCsv(body), name);
    }
    return body;
  });
}

export interface SeriesForCsv {
  readonly lane: string;
  readonly warehouse: string;
  readonly runId: string;
  readonly model: string;
  readonly levels: readonly number[];
  readonly actuals: readonly { date: string; volume: number }[];
  readonly forecast: readonly {
    date: string;
    mean: number;
    intervals: readonly { level: number; lower: number; upper: number }[];
  }[];
}

/**
 * One row per day, history then horizon: `lane,warehouse,date,actual,forecast,lower_80,upper_80,lower_95,
 * upper_95,model,run_id`; a day without an actual (the future) or without a forecast (the past) leaves it empty.
 * The desk's download (dashboards/ui/forecasts/csv.ts) writes the same columns from what it shows.
 */
export function seriesCsv(s: SeriesForCsv): string {
  const levels = [...s.levels].sort((a, b) => a - b);
  const header = [
    'lane',
    'warehouse',
    'date',
    'actual',
    'forecast',
    ...boundColumns(levels),
    'model',
    'run_id',
  ];
  const actual = new Map(s.actuals.map((a) => [a.date, a.volume]));
  const forecast = new Map(s.forecast.map((f) => [f.date, f]));
  const dates = [...new Set([...actual.keys(), ...forecast.keys()])].sort();
  return csvText(
    header,
    dates.map((date) => {
      const f = forecast.get(date);
      const run = f ? [s.model, s.runId] : ['', ''];
      return [
        s.lane,
        s.warehouse,
        date,
        actual.get(date),
        f?.mean,
        ...boundsAt(f?.intervals, levels),
        ...run,
      ];
    }),
  );
}
