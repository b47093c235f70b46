import { describe, expect, it } from 'vitest';
import { type BacktestPlan, runBacktest } from '../../forecasting/backtest.ts';
import { backtestSeries, checkHistory } from '../../forecasting/backtest-csv.ts';
import { SERVED_MODEL } from '../../forecasting/forecast-run.ts';
import { naive } from '../../forecasting/models/baselines.ts';
import type { Fitted, History, Model } from '../../forecasting/models/model.ts';
import { PEER_MODELS, SERVED } from '../../forecasting/peers.ts';
import { ROLLING_ORIGINS, ROLLING_STEP } from '../../forecasting/rolling.ts';
import { syntheticLanes } from '../../forecasting/synthetic.ts';
import { MONDAY_2024 } from './synthetic-helpers.ts';

const series = syntheticLanes({
  lanes: 6,
  days: 300,
  start: MONDAY_2024,
  seed: 3,
  minLevel: 2,
  maxLevel: 40,
});
const options = {
  horizon: 14,
  folds: 4,
  innerFolds: 2,
  levels: [80, 95],
  models: ['naive', 'seasonal-naive', 'moving-average', 'weekly-profile', 'level-profile'] as const,
  fitWindow: 182,
  minTrainDays: 28,
  seed: 1,
  threads: 0,
  json: true,
  excludeWeeks: [],
  totalLane: 'TOTAL',
  targetMinVolume: 1,
};

describe('backtest JSON names the served forecast and its peers', () => {
  it('reports served = the API forecast, every peer, and servedVsBestPeer recomputable from the aggregates', async () => {
    const { report, result } = await backtestSeries(series, { ...options, models: [...options.models] });
    expect(SERVED).toBe(SERVED_MODEL);
    expect(report.served.model).toBe('ensemble');
    expect(report.served.peers).toEqual([...PEER_MODELS]);
    expect(report.served.missingPeers).toEqual([]);
    // Peers run beside the served set but do not enter selection or the ensemble.
    expect(result.candidates).toEqual([...options.models]);
    const target = report.served.dataSets.target;
    const metrics = report.aggregate.target.metrics;
    expect(target?.wape.served).toBeCloseTo(metrics.ensemble?.wape ?? Number.NaN, 4);
    const peerWapes = PEER_MODELS.map((m) => metrics[m]?.wape ?? Number.POSITIVE_INFINITY);
    for (const [i, m] of PEER_MODELS.entries()) expect(target?.wape[m]).toBeCloseTo(peerWapes[i] ?? 0, 4);
    const best = Math.min(...peerWapes);
    expect(target?.bestPeer).toBe(PEER_MODELS[peerWapes.indexOf(best)]);
    expect(target?.servedVsBestPeer).toBeCloseTo(1 - (metrics.ensemble?.wape ?? 0) / best, 3);
    expect(target?.meetsTarget).toBe((target?.servedVsBestPeer ?? -1) >= 0.05);
  });

  it('--no-peers runs only the models asked for', async () => {
    const { report } = await backtestSeries(series, {
      ...options,
      models: ['naive', 'moving-average'],
      peers: false,
    });
    expect(report.served.peers).toEqual(['naive', 'moving-average']);
    expect(report.served.missingPeers).toEqual(['seasonal-naive', 'arima', 'mstl-raw']);
  });
});

describe('--rolling', () => {
  it('scores every method at 26 origins 7 days apart, the last H days before the end', async () => {
    const { report, result } = await backtestSeries(series, {
      ...options,
      models: [...options.models],
      rolling: true,
    });
    const end = MONDAY_2024 + 300;
    expect(result.origins).toHaveLength(ROLLING_ORIGINS);
    expect(result.origins.at(-1)).toBe(end - 14);
    expect(result.origins.slice(1).map((o, i) => o - (result.origins[i] ?? 0))).toEqual(
      new Array(ROLLING_ORIGINS - 1).fill(ROLLING_STEP),
    );
    expect((result.origins.at(-1) ?? 0) - (result.origins[0] ?? 0)).toBe(25 * 7);
    const rolling = report.rolling;
    expect(rolling?.origins).toHaveLength(26);
    const target = rolling?.dataSets.target;
    for (const m of [...PEER_MODELS, 'ensemble']) {
      const values = target?.perOrigin[m] ?? [];
      expect(values).toHaveLength(26);
      expect(values.every((v) => v !== null)).toBe(true);
      const sorted = [...(values as number[])].sort((a, b) => a - b);
      const d = target?.distribution[m];
      expect(d?.origins).toBe(26);
      expect(d?.median).toBeCloseTo(((sorted[12] ?? 0) + (sorted[13] ?? 0)) / 2, 3);
      expect(d?.p25 ?? 1).toBeLessThanOrEqual(d?.median ?? 0);
      expect(d?.p75 ?? 0).toBeGreaterThanOrEqual(d?.median ?? 1);
    }
    for (const peer of PEER_MODELS) {
      const served = target?.perOrigin.ensemble ?? [];
      const other = target?.perOrigin[peer] ?? [];
      const wins = served.filter((s, i) => (s ?? 0) < (other[i] ?? 0)).length;
      expect(target?.servedBeats[peer]).toBeCloseTo(wins / 26, 4);
    }
  });

  it('no fold sees its own test days: each is fitted on the days before its origin only', async () => {
    const seen: number[] = [];
    // Forecasts the first day after the history it was given, so each fold shows what it saw.
    const historyEnd: Model = {
      name: 'history-end',
      fit(h: History): Fitted {
        seen.push(h.start + h.values.length);
        return {
          forecast: (n) => ({ mean: new Float64Array(n).fill(h.start + h.values.length), intervals: [] }),
        };
      },
    };
    const plan: BacktestPlan = {
      horizon: 14,
      folds: ROLLING_ORIGINS,
      step: ROLLING_STEP,
      innerFolds: 2,
      levels: [80],
      minTrainDays: 28,
      seed: 1,
      excluded: () => false,
      final: false,
    };
    const r = await runBacktest(series.slice(0, 1), { local: [historyEnd, naive], global: [] }, plan);
    const lane = r.lanes[0];
    expect(lane?.folds).toHaveLength(26);
    for (const fold of lane?.folds ?? []) {
      expect(fold.forecasts['history-end']?.mean[0]).toBe(fold.origin);
      const s = series[0];
      expect(fold.forecasts.naive?.mean[0]).toBe(s?.values[fold.origin - (s?.start ?? 0) - 1]);
    }
    // Inner windows of the first fold were fitted too (two H-day windows before it), nothing after the end.
    const first = r.origins[0] ?? 0;
    expect(seen).toContain(first - 14);
    expect(seen).toContain(first - 28);
    expect(Math.max(...seen)).toBe(r.origins.at(-1));
  });

  it('names what a too-short history lacks for the rolling plan', () => {
    expect(() =>
      checkHistory(
        series.map((s) => ({ ...s, values: s.values.slice(0, 150) })),
        {
          horizon: 14,
          folds: 4,
          minTrainDays: 28,
          rolling: true,
        },
      ),
    ).toThrow(/26 folds 7 days apart, which needs at least 217 days/);
  });
});
