import { createHash } from 'node:crypto';

/**
 * Forecast-delta alerts: when a new forecast moves a lane's next-7-day volume by more than `threshold`
 * against the previous forecast for the same days, labour and tender pre-staging get told. Both sums
 * cover the same calendar days, so a run one day later compares like with like; a tiny lane also needs
 * an absolute move of `minVolume` shipments, so 1 → 2 is not a "100% jump".
 */
export const ALERT_WINDOW_DAYS = 7;

export interface ForecastPath {
  readonly runId: string;
  /** Day number of mean[0]. */
  readonly origin: number;
  readonly mean: readonly number[];
}

export interface AlertRule {
  /** Relative move, e.g. 0.2 = 20%. */
  readonly threshold: number;
  readonly minVolume: number;
}

export interface ForecastAlert {
  readonly id: string;
  readonly lane: string;
  readonly warehouse: string;
  readonly runId: string;
  readonly previousRunId: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly previousVolume: number;
  readonly newVolume: number;
  /** (new − previous) / max(previous, 1). */
  readonly change: number;
  readonly threshold: number;
  readonly direction: 'up' | 'down';
}

export function forecastDeltaAlert(
  lane: string,
  warehouse: string,
  next: ForecastPath,
  previous: ForecastPath | undefined,
  rule: AlertRule,
): ForecastAlert | undefined {
  if (!previous || previous.runId === next.runId) return undefined;
  const start = next.origin;
  const end = start + ALERT_WINDOW_DAYS - 1;
  const newVolume = windowSum(next, start, end);
  const previousVolume = windowSum(previous, start, end);
  if (newVolume === undefined || previousVolume === undefined) return undefined;
  const delta = newVolume - previousVolume;
  const change = delta / Math.max(previousVolume, 1);
  if (Math.abs(delta) < rule.minVolume || Math.abs(change) <= rule.threshold) return undefined;
  return {
    id: `forecast_delta:${createHash('sha256').update([next.runId, lane, warehouse].join('\u001f')).digest('hex').slice(0, 24)}`,
    lane,
    warehouse,
    runId: next.runId,
    previousRunId: previous.runId,
    windowStart: start,
    windowEnd: end,
    previousVolume,
    newVolume,
    change,
    threshold: rule.threshold,
    direction: delta > 0 ? 'up' : 'down',
  };
}

/** Sum over [from, to], or undefined when the path does not cover every day of it. */
function windowSum(path: ForecastPath, from: number, to: number): number | undefined {
  if (from < path.origin || to >= path.origin + path.mean.length) return undefined;
  let sum = 0;
  for (let d = from; d <= to; d++) sum += path.mean[d - path.origin] ?? 0;
  return sum;
}
