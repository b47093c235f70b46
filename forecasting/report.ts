import type { BacktestResult, FoldResult, LaneBacktest } from './backtest.ts';
import type { BandedForecast } from './conformal-backtest.ts';
import { formatDay } from './days.ts';
import type { Metrics } from './metrics.ts';
import type { Interval } from './models/model.ts';
import { type DataSet, servedVsPeers } from './peers.ts';
import { rollingSummary } from './rolling.ts';
import { type AggregateScore, aggregate, type LaneScore, scoreLane } from './scoring.ts';

/**
 * The backtest document `forecast backtest --json` prints: per lane and fold the actuals, the excluded
 * days, the MASE scale and every model's forecast and intervals (enough to recompute every metric),
 * each lane's metrics, and the aggregates with the targets checked.
 */
export interface ReportOptions {
  /** Lanes averaging at least this volume per day form the target set. */
  readonly targetMinVolume: number;
  /** A series that is the total over lanes: reported on its own, left out of lane aggregates. */
  readonly totalLane?: string;
  readonly excludeWeeks: readonly string[];
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Add the per-origin WAPE distribution (rolling.ts): `forecast backtest --rolling`. */
  readonly rolling?: boolean;
}

export const METRIC_DEFINITIONS = {
  mape: 'mean of |actual - forecast| / actual over points with actual > 0 (zero actuals skipped, counted in mapeSkippedZeros)',
  wape: 'sum |actual - forecast| / sum actual',
  smape: 'mean of 2|actual - forecast| / (|actual| + |forecast|), 0 when both are 0',
  mase: 'mean |actual - forecast| / (in-sample MAE of the weekly seasonal naive before the origin); aggregate = mean over lanes',
  bias: 'sum (forecast - actual) / sum actual',
  coverage:
    'share of actuals inside the interval of each level (conformal bands from residuals at earlier origins; see forecasting/conformal.ts)',
  rawCoverage: "the same for the model's own intervals before conformal calibration",
} as const;

export interface TargetCheck {
  readonly model: string;
  readonly wape: number | null;
  readonly seasonalNaiveWape: number | null;
  readonly mstlWape: number | null;
  /** 1 − WAPE / WAPE(seasonal naive). */
  readonly improvementOverSeasonalNaive: number | null;
  readonly beatsSeasonalNaiveBy30Percent: boolean;
  readonly beatsMstl: boolean;
}

const round = (v: number) => Math.round(v * 10_000) / 10_000;
const arr = (a: ArrayLike<number>) => Array.from(a, round);

export function backtestReport(result: BacktestResult, opts: ReportOptions) {
  const scores = result.lanes.map((l) => scoreLane(result, l));
  const isTotal = (l: LaneBacktest) => opts.totalLane !== undefined && l.series.lane === opts.totalLane;
  const target = aggregate(result, scores, (l) => !isTotal(l) && l.meanVolume >= opts.targetMinVolume);
  const allLanes = aggregate(result, scores, (l) => !isTotal(l));
  const total = result.lanes.some(isTotal) ? aggregate(result, scores, isTotal) : undefined;
  const top10 = scores
    .filter((s) => !(opts.totalLane !== undefined && s.lane === opts.totalLane))
    .sort((a, b) => b.meanVolume - a.meanVolume)
    .slice(0, 10)
    .map((s) => s.key);
  return {
    kind: 'dockside.forecast.backtest',
    version: 1,
    generatedAt: new Date().toISOString(),
    params: {
      horizon: result.plan.horizon,
      folds: result.plan.folds,
      innerFolds: result.plan.innerFolds,
      levels: result.plan.levels,
      minTrainDays: result.plan.minTrainDays,
      seed: result.plan.seed,
      excludeWeeks: opts.excludeWeeks,
      targetMinVolume: opts.targetMinVolume,
      totalLane: opts.totalLane ?? null,
      models: result.baseModels,
      candidates: result.candidates,
      ...opts.extra,
    },
    data: {
      series: result.lanes.length,
      lastDay: formatDay(result.end - 1),
      origins: result.origins.map(formatDay),
    },
    metricDefinitions: METRIC_DEFINITIONS,
    aggregate: {
      target: { rule: `lanes averaging >= ${opts.targetMinVolume}/day`, ...aggregateJson(target) },
      allLanes: aggregateJson(allLanes),
      ...(total ? { total: aggregateJson(total) } : {}),
      top10: top10,
    },
    targets: checkTargets(target),
    served: servedVsPeers(result, dataSets(result, opts)),
    ...(opts.rolling ? { rolling: rollingSummary(result, dataSets(result, opts)) } : {}),
    fallbacks: result.fallbacks,
    timingsMs: Object.fromEntries(Object.entries(result.timingsMs).map(([k, v]) => [k, Math.round(v)])),
    lanes: result.lanes.map((lane, i) => laneJson(lane, scores[i])),
  };
}

export type BacktestReport = ReturnType<typeof backtestReport>;

/** The sets the served forecast is judged on: the target lanes, all lanes, and the total series alone. */
function dataSets(result: BacktestResult, opts: ReportOptions): DataSet[] {
  const isTotal = (l: LaneBacktest) => opts.totalLane !== undefined && l.series.lane === opts.totalLane;
  return [
    { name: 'target', include: (l) => !isTotal(l) && l.meanVolume >= opts.targetMinVolume },
    { name: 'allLanes', include: (l) => !isTotal(l) },
    ...(result.lanes.some(isTotal) ? [{ name: 'total', include: isTotal }] : []),
  ];
}

/** The targets, for the served strategies (ensemble, selected) and the global model. */
export function checkTargets(target: AggregateScore): TargetCheck[] {
  const w = (m: string) => target.metrics[m]?.wape ?? null;
  const sn = w('seasonal-naive');
  const mstl = w('mstl');
  return ['ensemble', 'selected', 'tf-global'].flatMap((model) => {
    const wape = w(model);
    if (wape === null && !target.metrics[model]) return [];
    const improvement = wape !== null && sn ? 1 - wape / sn : null;
    return [
      {
        model,
        wape,
        seasonalNaiveWape: sn,
        mstlWape: mstl,
        improvementOverSeasonalNaive: improvement,
        beatsSeasonalNaiveBy30Percent: improvement !== null && improvement >= 0.3,
        beatsMstl: wape !== null && mstl !== null && wape < mstl,
      },
    ];
  });
}

function metricsJson(m: Metrics) {
  const r = (v: number | null) => (v === null ? null : round(v));
  return {
    points: m.points,
    wape: r(m.wape),
    mape: r(m.mape),
    mapePoints: m.mapePoints,
    mapeSkippedZeros: m.mapeSkippedZeros,
    smape: r(m.smape),
    mase: r(m.mase),
    bias: r(m.bias),
    coverage: Object.fromEntries(Object.entries(m.coverage).map(([k, v]) => [k, r(v)])),
    ...(m.rawCoverage
      ? { rawCoverage: Object.fromEntries(Object.entries(m.rawCoverage).map(([k, v]) => [k, r(v)])) }
      : {}),
  };
}

function aggregateJson(a: AggregateScore) {
  return {
    lanes: a.lanes,
    metrics: Object.fromEntries(
      Object.entries(a.metrics).map(([model, m]) => [model, { ...metricsJson(m), maseLanes: m.maseLanes }]),
    ),
  };
}

function forecastJson(f: BandedForecast) {
  const bounds = (intervals: readonly Interval[]) => ({
    lower: Object.fromEntries(intervals.map((i) => [String(i.level), arr(i.lower)])),
    upper: Object.fromEntries(intervals.map((i) => [String(i.level), arr(i.upper)])),
  });
  return {
    mean: arr(f.mean),
    ...bounds(f.intervals),
    ...(f.raw ? { raw: bounds(f.raw), band: f.band ?? null } : {}),
    ...(f.fallback ? { fallback: f.fallback } : {}),
  };
}

export function foldJson(fold: FoldResult) {
  return {
    origin: formatDay(fold.origin),
    actuals: arr(fold.actuals),
    excluded: Array.from(fold.excluded, (e) => e === 1),
    maseScale: fold.maseScale === null ? null : round(fold.maseScale),
    chosen: {
      selected: fold.choice.selected,
      weights: Object.fromEntries(Object.entries(fold.choice.weights).map(([k, v]) => [k, round(v)])),
      innerMae: Object.fromEntries(Object.entries(fold.choice.innerMae).map(([k, v]) => [k, round(v)])),
    },
    forecasts: Object.fromEntries(Object.entries(fold.forecasts).map(([m, f]) => [m, forecastJson(f)])),
  };
}

function laneJson(lane: LaneBacktest, score: LaneScore | undefined) {
  return {
    key: lane.series.key,
    lane: lane.series.lane,
    warehouse: lane.series.warehouse,
    meanVolume: round(lane.meanVolume),
    excludedPoints: score?.excludedPoints ?? 0,
    metrics: Object.fromEntries(Object.entries(score?.metrics ?? {}).map(([m, v]) => [m, metricsJson(v)])),
    folds: lane.folds.map(foldJson),
  };
}
