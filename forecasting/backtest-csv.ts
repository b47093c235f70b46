import { readFile } from 'node:fs/promises';
import { RejectError } from '../core/mod.ts';
import { type BacktestResult, runBacktest } from './backtest.ts';
import type { BacktestOptions } from './cli-options.ts';
import { parseExclusions } from './exclusions.ts';
import { buildModelSet } from './model-set.ts';
import { PEER_MODELS } from './peers.ts';
import { type BacktestReport, backtestReport } from './report.ts';
import { ROLLING_ORIGINS, ROLLING_STEP } from './rolling.ts';
import { type LaneSeries, selectLanes } from './series.ts';
import { parseSeriesCsv } from './series-csv.ts';

/** `forecast backtest`: a series CSV in, the backtest document out. */
export async function backtestCsv(
  opts: BacktestOptions,
  onProgress?: (done: number, total: number, label: string) => void,
): Promise<{ report: BacktestReport; result: BacktestResult }> {
  let text: string;
  try {
    text = await readFile(opts.series, 'utf8');
  } catch (cause) {
    throw new RejectError(
      'SERIES_FILE_UNREADABLE',
      `series: cannot read ${opts.series} (${(cause as Error).message})`,
      [{ field: 'series', value: opts.series, expected: 'a readable CSV file' }],
    );
  }
  const csv = parseSeriesCsv(text, opts.series);
  const series = selectLanes(csv.series, opts.lanes);
  checkHistory(series, opts);
  return backtestSeries(series, opts, onProgress);
}

export async function backtestSeries(
  series: readonly LaneSeries[],
  opts: Omit<BacktestOptions, 'series' | 'lanes'>,
  onProgress?: (done: number, total: number, label: string) => void,
): Promise<{ report: BacktestReport; result: BacktestResult }> {
  const exclusions = parseExclusions(opts.excludeWeeks);
  // The peers run beside the served forecast as comparators: selection and the ensemble keep to the
  // models asked for unless --candidates says otherwise.
  const run = opts.peers === false ? opts.models : [...new Set([...opts.models, ...PEER_MODELS])];
  const candidates = opts.candidates ?? (run.length > opts.models.length ? opts.models : undefined);
  const { folds, step } = foldPlan(opts);
  const { models, hooks } = buildModelSet({
    models: run,
    fitWindow: opts.fitWindow,
    threads: opts.threads,
    lanes: series.length,
  });
  try {
    const result = await runBacktest(
      series,
      models,
      {
        horizon: opts.horizon,
        folds,
        step,
        innerFolds: opts.innerFolds,
        levels: opts.levels,
        minTrainDays: opts.minTrainDays,
        seed: opts.seed,
        excluded: exclusions.excluded,
        final: false,
        ...(candidates ? { candidates } : {}),
      },
      { ...hooks, ...(onProgress ? { onProgress } : {}) },
    );
    const report = backtestReport(result, {
      targetMinVolume: opts.targetMinVolume,
      totalLane: opts.totalLane,
      excludeWeeks: exclusions.labels,
      extra: { fitWindow: opts.fitWindow, step, rolling: opts.rolling === true },
      rolling: opts.rolling === true,
    });
    return { report, result };
  } finally {
    for (const g of models.global) g.dispose?.();
  }
}

/** `--rolling`: an origin every 7 days over the last 26 weeks; otherwise K folds of H days end to end. */
export function foldPlan(opts: Pick<BacktestOptions, 'horizon' | 'folds' | 'rolling'>): {
  folds: number;
  step: number;
} {
  return opts.rolling
    ? { folds: ROLLING_ORIGINS, step: ROLLING_STEP }
    : { folds: opts.folds, step: opts.horizon };
}

/** The folds must fit in the data, with minTrainDays of history before the first one. */
export function checkHistory(
  series: readonly LaneSeries[],
  opts: Pick<BacktestOptions, 'horizon' | 'folds' | 'minTrainDays' | 'rolling'>,
): void {
  const longest = series.reduce((m, s) => Math.max(m, s.values.length), 0);
  const { folds, step } = foldPlan(opts);
  const needed = opts.horizon + (folds - 1) * step + opts.minTrainDays;
  if (longest < needed) {
    throw new RejectError(
      'HISTORY_TOO_SHORT',
      `horizon: got ${opts.horizon} with ${folds} folds${opts.rolling ? ` ${step} days apart` : ''}, which needs at least ${needed} days of history (${opts.minTrainDays} to train on before the first fold); the longest series has ${longest}`,
      [
        {
          field: 'horizon',
          value: opts.horizon,
          expected: opts.rolling
            ? `horizon + (folds - 1) × ${step} <= ${longest - opts.minTrainDays}`
            : `horizon × folds <= ${longest - opts.minTrainDays}`,
        },
      ],
    );
  }
}
