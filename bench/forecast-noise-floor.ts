import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDay } from '../forecasting/days.ts';
import { olistSeries, TOTAL_LANE } from '../forecasting/mod.ts';
import { readOlist } from '../forecasting/olist-files.ts';
import { truncate } from '../forecasting/series.ts';
import { writeResult } from './lib/results.ts';

/**
 * How much better than the seasonal naive any forecast of the Olist target lanes can be, if the daily
 * counts are Poisson: an oracle that knows each day's rate λ (here: a centred 28-day mean × centred
 * weekday factors — it looks into the future, which no forecaster can) still has expected absolute
 * error E|X − λ| per day. Its WAPE, against the seasonal naive of the backtest (last week before each
 * origin, repeated), bounds the achievable improvement from above: real counts are over-dispersed (more
 * noise, a higher floor) and real forecasts do not know λ.
 * Same folds as bench/forecast-olist.ts (H = 14, K = 4 at the end; `--until` for the development window).
 * Usage: node bin/run-ts.js bench/forecast-noise-floor.ts [--data DIR] [--until YYYY-MM-DD]
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argValue = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const H = 14;
const K = 4;
const HALF = 14;
const untilText = argValue('--until');
const until = untilText === undefined ? undefined : parseDay(untilText);
const all = olistSeries(await readOlist(argValue('--data') ?? path.resolve(repo, 'testdata/olist')));
const series = all.map((s) => (until === undefined ? s : truncate(s, Math.max(0, until - s.start + 1))));
const target = series.filter((s) => s.key !== TOTAL_LANE && mean(s.values) >= 1);

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] ?? 0;
  return v.length ? s / v.length : 0;
}

/** E|X − λ| for X ~ Poisson(λ): 2λ·P(X = ⌊λ⌋). */
function poissonMeanAbsDev(lambda: number): number {
  if (lambda <= 0) return 0;
  const k = Math.floor(lambda);
  let logFactorial = 0;
  for (let i = 2; i <= k; i++) logFactorial += Math.log(i);
  return 2 * lambda * Math.exp(-lambda + k * Math.log(lambda) - logFactorial);
}

/** The oracle rate on day t: centred 28-day mean × the centred same-weekday share (shrunk like weekly-profile). */
function oracleRate(y: Float64Array, t: number): number {
  const from = Math.max(0, t - HALF);
  const to = Math.min(y.length, t + HALF);
  const level = mean(y.subarray(from, to));
  const wide = y.subarray(Math.max(0, t - 2 * HALF), Math.min(y.length, t + 2 * HALF));
  const overall = mean(wide);
  if (overall <= 0) return level;
  let sum = 0;
  let n = 0;
  for (let j = t % 7; j < y.length; j += 7) {
    if (Math.abs(j - t) < 2 * HALF) {
      sum += y[j] ?? 0;
      n++;
    }
  }
  return (level * (sum + 2 * overall)) / ((n + 2) * overall);
}

let actual = 0;
let oracleError = 0;
let seasonalNaiveError = 0;
for (const s of target) {
  const y = s.values;
  for (let k = 0; k < K; k++) {
    const origin = y.length - (K - k) * H;
    for (let h = 0; h < H; h++) {
      const t = origin + h;
      const a = y[t] ?? 0;
      actual += a;
      oracleError += poissonMeanAbsDev(oracleRate(y, t));
      seasonalNaiveError += Math.abs(a - (y[origin - 7 + (h % 7)] ?? 0));
    }
  }
}
const oracleWape = oracleError / actual;
const seasonalNaiveWape = seasonalNaiveError / actual;
const bound = 1 - oracleWape / seasonalNaiveWape;
const file = writeResult(until === undefined ? 'forecast-noise-floor' : 'forecast-noise-floor-dev', {
  until: untilText ?? null,
  lanes: target.map((s) => s.key),
  poissonOracleWape: oracleWape,
  seasonalNaiveWape,
  bestPossibleImprovementOverSeasonalNaive: bound,
});
console.log(
  `${until === undefined ? 'acceptance' : `development (until ${untilText})`} folds, lanes ${target.map((s) => s.key).join(', ')}: Poisson oracle WAPE ${(oracleWape * 100).toFixed(1)}%, seasonal naive ${(seasonalNaiveWape * 100).toFixed(1)}% → at most ${(bound * 100).toFixed(1)}% better → ${file}`,
);
