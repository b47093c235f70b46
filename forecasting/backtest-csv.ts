import { readFile } from 'node:fs/promises';
import { RejectError } from '../core/mod.ts';
import { type BacktestResult, runBacktest } from './backtest.ts';
import type { BacktestOptions } from './cli-options.ts';
import { parseExclusions } from './exclusions.ts';
import { buildModelSet } from './model-set.ts';
import { type BacktestReport, backtestReport } from './report.ts';
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
  const { models, hooks } = buildModelSet({
    models: opts.models,
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
        folds: opts.folds,
        innerFolds: opts.innerFolds,
        levels: opts.levels,
        minTrainDays: opts.minTrainDays,
        seed: opts.seed,
        excluded: exclusions.excluded,
        final: false,
        ...(opts.candidates ? { candidates: opts.candidates } : {}),
      },
      { ...hooks, ...(onProgress ? { onProgress } : {}) },
    );
    const report = backtestReport(result, {
      targetMinVolume: opts.targetMinVolume,
      totalLane: opts.totalLane,
      excludeWeeks: exclusions.labels,
      extra: { fitWindow: opts.fitWindow },
    });
    return { report, result };
  } finally {
    for (const g of models.global) g.dispose?.();
  }
}

/** The folds must fit in the data, with minTrainDays of history before the first one. */
export function checkHistory(
  series: readonly LaneSeries[],
  opts: Pick<BacktestOptions, 'horizon' | 'folds' | 'minTrainDays'>,
): void {
  const longest = series.reduce((m, s) => Math.max(m, s.values.length), 0);
  const needed = opts.horizon * opts.folds + opts.minTrainDays;
  if (longest < needed) {
    throw new RejectError(
      'HISTORY_TOO_SHORT',
      `horizon: got ${opts.horizon} with ${opts.folds} folds, which needs at least ${needed} days of history (${opts.minTrainDays} to train on before the first fold); the longest series has ${longest}`,
      [
        {
          field: 'horizon',
          value: opts.horizon,
          expected: `horizon × folds <= ${longest - opts.minTrainDays}`,
        },
      ],
    );
  }
}
