// Public entry of forecasting: lane volume series, models, honest backtests, stored forecasts, the
// planner API and the scheduled job. Other modules import only from here.
export type { AlertRule, ForecastAlert } from './alerts.ts';
export { forecastDeltaAlert } from './alerts.ts';
export type { BacktestPlan, BacktestResult, ModelSet } from './backtest.ts';
export { runBacktest } from './backtest.ts';
export { forecastCommand } from './cli.ts';
export type { ForecastRunOptions, ForecastRunSummary } from './forecast-run.ts';
export { runForecasts, SERVED_MODEL } from './forecast-run.ts';
export type { ForecastRoutesDeps } from './http.ts';
export { registerForecastRoutes } from './http.ts';
export { type PlannerCache, replyCache } from './http-cache.ts';
export type { LaneLiveScore, LiveAccuracy } from './live-accuracy.ts';
export {
  checkAccuracyAlert,
  LIVE_MAX_STEP,
  LIVE_WINDOW_DAYS,
  liveAccuracy,
  liveScope,
} from './live-accuracy.ts';
export { registerLiveAccuracyMetrics } from './live-accuracy-metrics.ts';
export { type Metrics, mape, mase, maseScale, smape, wape } from './metrics.ts';
export { forecastingMigrations } from './migrations.ts';
export { buildModelSet, DEFAULT_MODELS } from './model-set.ts';
export type { Fitted, Forecast, GlobalModel, History, Model } from './models/model.ts';
export { olistSeries, TOTAL_LANE } from './olist.ts';
export { type BacktestReport, backtestReport } from './report.ts';
export type { ForecastScheduler, ForecastSchedulerDeps } from './scheduler.ts';
export { DEFAULT_RUN_OPTIONS, startForecastScheduler } from './scheduler.ts';
export type { LaneSeries } from './series.ts';
export { parseSeriesCsv } from './series-csv.ts';
export { syntheticLanes } from './synthetic.ts';

import { accuracyQuery, alertsQuery, forecastsQuery } from './http.ts';
import { lanesQuery, seriesQuery } from './http-desk.ts';
import { liveQuery } from './http-live.ts';
import {
  accuracyReply,
  alertsReply,
  forecastsReply,
  hierarchyForecastsReply,
  laneForecastsReply,
  lanesReply,
  liveReply,
  seriesReply,
} from './http-replies.ts';
import { TRUCKS_CSV_HEADER, trucksQuery, trucksReply } from './http-trucks.ts';
/** The zod schemas the planner routes validate with and answer by (the API docs are generated from them). */
export const forecastRequestSchemas = {
  accuracyQuery,
  alertsQuery,
  forecastsQuery,
  lanesQuery,
  liveQuery,
  seriesQuery,
  trucksQuery,
};
export const forecastReplySchemas = {
  accuracyReply,
  alertsReply,
  forecastsReply,
  hierarchyForecastsReply,
  laneForecastsReply,
  lanesReply,
  liveReply,
  seriesReply,
  trucksReply,
  trucksCsvColumns: TRUCKS_CSV_HEADER,
};
