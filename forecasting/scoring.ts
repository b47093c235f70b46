import type { BacktestResult, FoldResult, LaneBacktest } from './backtest.ts';
import { MetricAccumulator, type Metrics } from './metrics.ts';
import type { Interval } from './models/model.ts';

/**
 * Scores a backtest's test folds: per lane (all its scored points pooled over folds) and in aggregate
 * over a set of lanes. Aggregates pool points for MAPE, WAPE, sMAPE, bias and coverage (so WAPE is
 * Σ|error| / Σvolume over the lanes), while MASE, being scale-free per lane, is the mean of the lanes' MASE.
 */
export interface LaneScore {
  readonly key: string;
  readonly lane: string;
  readonly warehouse: string;
  readonly meanVolume: number;
  readonly folds: number;
  readonly excludedPoints: number;
  readonly metrics: Readonly<Record<string, Metrics>>;
}

export interface AggregateMetrics extends Metrics {
  /** Lanes whose MASE was defined (the mean is over these). */
  readonly maseLanes: number;
}

export interface AggregateScore {
  readonly lanes: readonly string[];
  readonly metrics: Readonly<Record<string, AggregateMetrics>>;
}

export function scoreLane(result: BacktestResult, lane: LaneBacktest): LaneScore {
  const metrics: Record<string, Metrics> = {};
  let excludedPoints = 0;
  for (const fold of lane.folds) for (const e of fold.excluded) excludedPoints += e;
  for (const model of result.models) {
    const acc = new MetricAccumulator(result.plan.levels);
    for (const fold of lane.folds) addFold(acc, fold, model, result.plan.levels);
    metrics[model] = acc.result();
  }
  return {
    key: lane.series.key,
    lane: lane.series.lane,
    warehouse: lane.series.warehouse,
    meanVolume: lane.meanVolume,
    folds: lane.folds.length,
    excludedPoints,
    metrics,
  };
}

export function aggregate(
  result: BacktestResult,
  scores: readonly LaneScore[],
  include: (lane: LaneBacktest) => boolean,
): AggregateScore {
  const lanes = result.lanes.filter(include);
  const keys = new Set(lanes.map((l) => l.series.key));
  const metrics: Record<string, AggregateMetrics> = {};
  for (const model of result.models) {
    const acc = new MetricAccumulator(result.plan.levels);
    for (const lane of lanes) for (const fold of lane.folds) addFold(acc, fold, model, result.plan.levels);
    const laneMase = scores
      .filter((s) => keys.has(s.key))
      .map((s) => s.metrics[model]?.mase)
      .filter((m): m is number => typeof m === 'number');
    const pooled = acc.result();
    metrics[model] = {
      ...pooled,
      mase: laneMase.length > 0 ? laneMase.reduce((a, b) => a + b, 0) / laneMase.length : null,
      maseLanes: laneMase.length,
    };
  }
  return { lanes: lanes.map((l) => l.series.key), metrics };
}

function addFold(acc: MetricAccumulator, fold: FoldResult, model: string, levels: readonly number[]): void {
  const f = fold.forecasts[model];
  if (!f) return;
  const bounds = levels.map((level) => f.intervals.find((i) => i.level === level));
  const raw = f.raw ? levels.map((level) => f.raw?.find((i) => i.level === level)) : undefined;
  const at = (h: number) => (b: Interval | undefined) =>
    b ? ([b.lower[h] ?? 0, b.upper[h] ?? 0] as const) : undefined;
  for (let h = 0; h < fold.actuals.length; h++) {
    if (fold.excluded[h]) continue;
    acc.add(fold.actuals[h] ?? 0, f.mean[h] ?? 0, fold.maseScale, bounds.map(at(h)), raw?.map(at(h)));
  }
}
