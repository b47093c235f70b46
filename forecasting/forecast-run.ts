import { randomUUID } from 'node:crypto';
import type { Logger, Store } from '../core/mod.ts';
import { type AlertRule, type ForecastAlert, forecastDeltaAlert } from './alerts.ts';
import { runBacktest } from './backtest.ts';
import { dayFromMs, formatDay } from './days.ts';
import type { HolidayRegion } from './holidays.ts';
import { buildModelSet } from './model-set.ts';
import type { BaseModelName } from './models/registry.ts';
import { scoreLane } from './scoring.ts';
import { selectLanes } from './series.ts';
import {
  type AccuracyRow,
  type ForecastRow,
  latestDay,
  latestServedPaths,
  type Measure,
  readLaneSeries,
  writeRun,
} from './store.ts';

/**
 * `forecast run` and the scheduled job: read the stored lane series, backtest every model (accuracy per
 * lane for planners), forecast from the last complete day, store it all, and raise forecast-delta alerts
 * against the previous run. The served forecast is the ensemble; every model's forecast is stored too.
 */
export const SERVED_MODEL = 'ensemble';

export interface ForecastRunOptions {
  readonly measure: Measure;
  readonly byWarehouse: boolean;
  readonly horizon: number;
  readonly folds: number;
  readonly innerFolds: number;
  readonly levels: readonly number[];
  readonly models: readonly BaseModelName[];
  readonly fitWindow: number;
  readonly minTrainDays: number;
  readonly seed: number;
  readonly threads: number;
  readonly historyDays: number;
  /**
   * First day to forecast, taken as not yet complete: a day number; `today` (evaluated at each run: live
   * data, today's partial volume is left out); or `latest` = the day after the last stored day (replays of
   * past data).
   */
  readonly asOf: number | 'today' | 'latest';
  readonly lanes?: readonly string[];
  readonly region?: HolidayRegion;
  readonly alerts: AlertRule;
}

export interface ForecastRunSummary {
  readonly runId: string;
  readonly measure: Measure;
  readonly origin: string;
  readonly lanes: number;
  readonly folds: number;
  readonly alerts: readonly ForecastAlert[];
  /** Why nothing was forecast, when nothing was. */
  readonly skipped?: string;
}

export interface ForecastRunDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly onAlert?: (alert: ForecastAlert) => Promise<void> | void;
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

export async function runForecasts(
  opts: ForecastRunOptions,
  deps: ForecastRunDeps,
): Promise<ForecastRunSummary> {
  const { store, logger } = deps;
  const now = (deps.now ?? Date.now)();
  const runId = randomUUID();
  const asOf =
    opts.asOf === 'latest'
      ? await latestDay(store, opts.measure)
      : opts.asOf === 'today'
        ? today(now)
        : opts.asOf;
  const empty = (skipped: string): ForecastRunSummary => ({
    runId,
    measure: opts.measure,
    origin: asOf === undefined ? '' : formatDay(asOf),
    lanes: 0,
    folds: 0,
    alerts: [],
    skipped,
  });
  if (asOf === undefined) return empty('no stored volume yet');
  const all = await readLaneSeries(store, {
    measure: opts.measure,
    byWarehouse: opts.byWarehouse,
    end: asOf,
    historyDays: opts.historyDays,
    horizon: opts.horizon,
    ...(opts.region ? { region: opts.region } : {}),
  });
  const series = selectLanes(all, opts.lanes);
  const longest = series.reduce((m, s) => Math.max(m, s.values.length), 0);
  if (longest < opts.minTrainDays)
    return empty(`the longest lane has ${longest} days, fewer than ${opts.minTrainDays}`);
  // A young deployment scores the folds its history allows (possibly none) and still forecasts.
  const folds = Math.min(opts.folds, Math.floor((longest - opts.minTrainDays) / opts.horizon));
  const { models, hooks } = buildModelSet({
    models: opts.models,
    fitWindow: opts.fitWindow,
    threads: opts.threads,
    lanes: series.length,
  });
  const result = await runBacktest(
    series,
    models,
    {
      horizon: opts.horizon,
      folds,
      innerFolds: opts.innerFolds,
      levels: opts.levels,
      minTrainDays: opts.minTrainDays,
      seed: opts.seed,
      excluded: () => false,
      final: true,
    },
    { ...hooks, ...(deps.onProgress ? { onProgress: deps.onProgress } : {}) },
  ).finally(() => {
    for (const g of models.global) g.dispose?.();
  });

  const previous = await latestServedPaths(store, opts.measure);
  const forecasts: ForecastRow[] = [];
  const accuracy: AccuracyRow[] = [];
  const alerts: ForecastAlert[] = [];
  for (const lane of result.lanes) {
    const final = lane.final;
    if (!final) continue;
    const { lane: name, warehouse, key } = lane.series;
    for (const [model, f] of Object.entries(final.forecasts)) {
      forecasts.push({
        lane: name,
        warehouse,
        model,
        origin: final.origin,
        mean: f.mean,
        intervals: f.intervals,
      });
    }
    const score = scoreLane(result, lane);
    for (const [model, m] of Object.entries(score.metrics)) {
      accuracy.push({
        lane: name,
        warehouse,
        model,
        served: model === SERVED_MODEL,
        selectedModel: final.choice.selected,
        weights: final.choice.weights,
        folds: score.folds,
        points: m.points,
        mape: m.mape,
        mapeSkippedZeros: m.mapeSkippedZeros,
        wape: m.wape,
        smape: m.smape,
        mase: m.mase,
        bias: m.bias,
        coverage: m.coverage,
      });
    }
    const served = final.forecasts[SERVED_MODEL];
    if (served) {
      const alert = forecastDeltaAlert(
        name,
        warehouse,
        { runId, origin: final.origin, mean: Array.from(served.mean) },
        previous.get(key),
        opts.alerts,
      );
      if (alert) alerts.push(alert);
    }
  }
  await writeRun(
    store,
    {
      runId,
      createdAt: now,
      measure: opts.measure,
      origin: asOf,
      horizon: opts.horizon,
      lanes: result.lanes.length,
      served: SERVED_MODEL,
      models: result.models,
      levels: opts.levels,
      params: {
        folds,
        innerFolds: opts.innerFolds,
        fitWindow: opts.fitWindow,
        byWarehouse: opts.byWarehouse,
      },
    },
    forecasts,
    accuracy,
    alerts,
  );
  for (const alert of alerts) {
    try {
      await deps.onAlert?.(alert);
    } catch (err) {
      logger.warn({ err, alert: alert.id }, 'forecast alert handler failed; the alert is stored');
    }
  }
  logger.info(
    {
      runId,
      measure: opts.measure,
      origin: formatDay(asOf),
      lanes: result.lanes.length,
      folds,
      alerts: alerts.length,
    },
    'forecast run stored',
  );
  return { runId, measure: opts.measure, origin: formatDay(asOf), lanes: result.lanes.length, folds, alerts };
}

export function today(now: number = Date.now()): number {
  return dayFromMs(now);
}
