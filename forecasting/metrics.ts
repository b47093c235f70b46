/**
 * Forecast accuracy metrics. Volumes are counts, often zero on small lanes, so each metric states how
 * it treats zeros:
 *  - MAPE: mean of |a − f| / a over points with a > 0 only; the skipped zero-actual points are counted.
 *  - WAPE: Σ|a − f| / Σa (volume-weighted; undefined when Σa = 0).
 *  - sMAPE: mean of 2|a − f| / (|a| + |f|), a point where both are 0 scores 0 (a perfect forecast).
 *  - MASE: mean of |a − f| / s, where s is the in-sample mean absolute error of the weekly seasonal naive
 *    forecast on the training data before the forecast origin; undefined when s = 0.
 *  - coverage: share of actuals inside the [lower, upper] interval, per level.
 *  - bias: Σ(f − a) / Σa, so planners see whether a model runs high or low.
 * Percentages are returned as fractions (0.12 = 12%).
 */
export interface Metrics {
  readonly points: number;
  readonly actualSum: number;
  readonly absErrorSum: number;
  readonly wape: number | null;
  readonly mape: number | null;
  readonly mapePoints: number;
  readonly mapeSkippedZeros: number;
  readonly smape: number | null;
  readonly mase: number | null;
  readonly bias: number | null;
  readonly coverage: Readonly<Record<string, number | null>>;
  /** Coverage of the models' own intervals, when the scored intervals were recalibrated (conformal). */
  readonly rawCoverage?: Readonly<Record<string, number | null>>;
}

export function mape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number | null {
  return accumulate(actual, forecast).result().mape;
}

export function wape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number | null {
  return accumulate(actual, forecast).result().wape;
}

export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number | null {
  return accumulate(actual, forecast).result().smape;
}

export function mase(
  actual: ArrayLike<number>,
  forecast: ArrayLike<number>,
  training: ArrayLike<number>,
  season = 7,
): number | null {
  return accumulate(actual, forecast, maseScale(training, season)).result().mase;
}

/** In-sample MAE of the seasonal naive forecast (lag `season`; lag 1 when the history is too short). */
export function maseScale(training: ArrayLike<number>, season = 7): number | null {
  const lag = training.length > season ? season : 1;
  if (training.length <= lag) return null;
  let sum = 0;
  for (let i = lag; i < training.length; i++) sum += Math.abs((training[i] ?? 0) - (training[i - lag] ?? 0));
  const scale = sum / (training.length - lag);
  return scale > 0 ? scale : null;
}

function accumulate(actual: ArrayLike<number>, forecast: ArrayLike<number>, scale: number | null = null) {
  if (actual.length !== forecast.length) {
    throw new RangeError(`actual has ${actual.length} points but forecast has ${forecast.length}`);
  }
  const acc = new MetricAccumulator([]);
  for (let i = 0; i < actual.length; i++) acc.add(actual[i] ?? 0, forecast[i] ?? 0, scale);
  return acc;
}

/** Pools points (over folds, lanes …) and yields the metrics of the pool. */
export class MetricAccumulator {
  private points = 0;
  private actualSum = 0;
  private absErrorSum = 0;
  private signedErrorSum = 0;
  private apeSum = 0;
  private apePoints = 0;
  private zeroActuals = 0;
  private smapeSum = 0;
  private scaledErrorSum = 0;
  private scaledPoints = 0;
  private readonly covered: number[];
  private readonly coverable: number[];
  private readonly raw: { covered: number[]; coverable: number[] };

  constructor(private readonly levels: readonly number[]) {
    this.covered = levels.map(() => 0);
    this.coverable = levels.map(() => 0);
    this.raw = { covered: levels.map(() => 0), coverable: levels.map(() => 0) };
  }

  /**
   * One scored point. `scale` is the MASE scale of the point's fold (null: MASE undefined for it);
   * `bounds[i]` is the [lower, upper] of levels[i], when the model gave intervals; `rawBounds` the same
   * for the model's own intervals when `bounds` are recalibrated ones.
   */
  add(
    actual: number,
    forecast: number,
    scale: number | null,
    bounds?: readonly (readonly [number, number] | undefined)[],
    rawBounds?: readonly (readonly [number, number] | undefined)[],
  ): void {
    const err = Math.abs(actual - forecast);
    this.points++;
    this.actualSum += actual;
    this.absErrorSum += err;
    this.signedErrorSum += forecast - actual;
    if (actual !== 0) {
      this.apeSum += err / Math.abs(actual);
      this.apePoints++;
    } else {
      this.zeroActuals++;
    }
    const denom = Math.abs(actual) + Math.abs(forecast);
    this.smapeSum += denom === 0 ? 0 : (2 * err) / denom;
    if (scale !== null && scale > 0) {
      this.scaledErrorSum += err / scale;
      this.scaledPoints++;
    }
    if (bounds) {
      for (let i = 0; i < this.levels.length; i++) {
        const b = bounds[i];
        if (!b) continue;
        this.coverable[i] = (this.coverable[i] ?? 0) + 1;
        if (actual >= b[0] && actual <= b[1]) this.covered[i] = (this.covered[i] ?? 0) + 1;
      }
    }
    if (rawBounds) {
      for (let i = 0; i < this.levels.length; i++) {
        const b = rawBounds[i];
        if (!b) continue;
        this.raw.coverable[i] = (this.raw.coverable[i] ?? 0) + 1;
        if (actual >= b[0] && actual <= b[1]) this.raw.covered[i] = (this.raw.covered[i] ?? 0) + 1;
      }
    }
  }

  result(): Metrics {
    const share = (covered: readonly number[], coverable: readonly number[]) =>
      Object.fromEntries(
        this.levels.map((level, i) => {
          const n = coverable[i] ?? 0;
          return [String(level), n > 0 ? (covered[i] ?? 0) / n : null];
        }),
      );
    const coverage = share(this.covered, this.coverable);
    const rawCoverage = this.raw.coverable.some((n) => n > 0)
      ? share(this.raw.covered, this.raw.coverable)
      : undefined;
    return {
      points: this.points,
      actualSum: this.actualSum,
      absErrorSum: this.absErrorSum,
      wape: this.actualSum > 0 ? this.absErrorSum / this.actualSum : null,
      mape: this.apePoints > 0 ? this.apeSum / this.apePoints : null,
      mapePoints: this.apePoints,
      mapeSkippedZeros: this.zeroActuals,
      smape: this.points > 0 ? this.smapeSum / this.points : null,
      mase: this.scaledPoints > 0 ? this.scaledErrorSum / this.scaledPoints : null,
      bias: this.actualSum > 0 ? this.signedErrorSum / this.actualSum : null,
      coverage,
      ...(rawCoverage ? { rawCoverage } : {}),
    };
  }
}
