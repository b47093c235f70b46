import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { backtestSeries } from '../../forecasting/backtest-csv.ts';
import { parseDay } from '../../forecasting/days.ts';
import { DEFAULT_MODELS, olistSeries, TOTAL_LANE } from '../../forecasting/mod.ts';
import { readOlist } from '../../forecasting/olist-files.ts';
import { type LaneSeries, truncate } from '../../forecasting/series.ts';

/**
 * What the Olist rolling benchmarks share: `[--data DIR] [--until YYYY-MM-DD]` from the command line
 * (the lane series, cut at `--until` — 2017-11-05 ends the development window), and the rolling backtest
 * they all run (an origin every 7 days, H = 14, 2 inner windows, the default models).
 */
export async function olistFromArgs(): Promise<{ series: LaneSeries[]; untilText: string | undefined }> {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const argValue = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const dataDir = argValue('--data') ?? path.resolve(repo, 'testdata/olist');
  const untilText = argValue('--until');
  const until = untilText === undefined ? undefined : parseDay(untilText);
  if (untilText !== undefined && until === undefined)
    throw new Error(`--until: got ${untilText}, expected YYYY-MM-DD`);
  const series = olistSeries(await readOlist(dataDir)).map((s) =>
    until === undefined ? s : truncate(s, Math.max(0, until - s.start + 1)),
  );
  return { series, untilText };
}

export const OLIST_ROLLING_OPTIONS = {
  horizon: 14,
  folds: 4,
  innerFolds: 2,
  levels: [80, 95],
  models: [...DEFAULT_MODELS],
  fitWindow: 182,
  minTrainDays: 28,
  seed: 1,
  threads: 2,
  json: true,
  excludeWeeks: [],
  totalLane: TOTAL_LANE,
  targetMinVolume: 1,
  rolling: true,
} satisfies Parameters<typeof backtestSeries>[1];
