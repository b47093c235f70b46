import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type BacktestPlan, inProcessRunner, runBacktest } from '../../forecasting/backtest.ts';
import type { LocalJob } from '../../forecasting/local-fit.ts';
import { movingAverage, seasonalNaive } from '../../forecasting/models/baselines.ts';
import type { Fitted, History, Model } from '../../forecasting/models/model.ts';
import { localModel } from '../../forecasting/models/registry.ts';
import { backtestReport } from '../../forecasting/report.ts';
import type { LaneSeries } from '../../forecasting/series.ts';
import { syntheticLanes } from '../../forecasting/synthetic.ts';
import { workerRunner } from '../../forecasting/worker-pool.ts';
import { MONDAY_2024 } from './synthetic-helpers.ts';

const plan = (p: Partial<BacktestPlan> = {}): BacktestPlan => ({
  horizon: 7,
  folds: 3,
  innerFolds: 2,
  levels: [80],
  minTrainDays: 14,
  seed: 1,
  excluded: () => false,
  final: false,
  ...p,
});

const lane = (key: string, values: number[], start = MONDAY_2024): LaneSeries => ({
  key,
  lane: key,
  warehouse: '',
  start,
  values: Float64Array.from(values),
  regressors: {},
});

/** A model that records every history it was fitted on and forecasts a constant. */
function spy(name: string, value = 1): Model & { seen: number[] } {
  const seen: number[] = [];
  return {
    name,
    seen,
    fit(history: History): Fitted {
      seen.push(history.values.length);
      return {
        forecast: (h) => ({ mean: new Float64Array(h).fill(value), intervals: [] }),
      };
    },
  };
}

describe('rolling-origin backtest', () => {
  const series = [
    lane(
      'A>B',
      Array.from({ length: 100 }, (_, t) => 10 + (t % 7)),
    ),
  ];

  it('puts K folds of H days at the end, Kin inner windows before them, and fits only on the past', async () => {
    const s = spy('spy');
    const r = await runBacktest(series, { local: [s], global: [] }, plan());
    // 100 days: test folds start at 79, 86, 93; inner windows at 65, 72.
    expect(r.origins.map((o) => o - MONDAY_2024)).toEqual([79, 86, 93]);
    expect([...s.seen].sort((a, b) => a - b)).toEqual([65, 72, 79, 86, 93]);
    const folds = r.lanes[0]?.folds ?? [];
    expect(folds.map((f) => Array.from(f.actuals))).toEqual(
      [79, 86, 93].map((o) => Array.from({ length: 7 }, (_, h) => 10 + ((o + h) % 7))),
    );
  });

  it('leaves lanes out of origins they are too young for', async () => {
    const young = lane(
      'Y>Z',
      Array.from({ length: 25 }, () => 3),
      MONDAY_2024 + 75,
    );
    const r = await runBacktest([...series, young], { local: [spy('spy')], global: [] }, plan());
    // Y>Z starts on day 75: it has 4 and 11 days before origins 79 and 86 (< 14), 18 before origin 93.
    expect(r.lanes[1]?.folds.map((f) => f.origin - MONDAY_2024)).toEqual([93]);
  });

  it('selects per lane from the inner windows only, never from the test fold', async () => {
    // "insider" is perfect on the inner windows and wrong on the test fold; "outsider" the opposite.
    const values = Array.from({ length: 100 }, (_, t) => 10 + (t % 7));
    const truth = (from: number, h: number) =>
      Float64Array.from({ length: h }, (_, k) => values[from + k] ?? 0);
    const model = (name: string, goodOnTest: boolean): Model => ({
      name,
      fit(history) {
        const n = history.values.length;
        const isTest = n === 93;
        return {
          forecast: (h) => ({
            mean: isTest === goodOnTest ? truth(n, h) : new Float64Array(h).fill(100),
            intervals: [],
          }),
        };
      },
    });
    const r = await runBacktest(
      [lane('A>B', values)],
      { local: [model('insider', false), model('outsider', true)], global: [] },
      plan({ folds: 1 }),
    );
    const fold = r.lanes[0]?.folds[0];
    expect(fold?.choice.selected).toBe('insider');
    expect(fold?.choice.innerMae.insider).toBe(0);
    expect(Array.from(fold?.forecasts.selected?.mean ?? [])).toEqual(new Array(7).fill(100));
  });

  it('scores no excluded day, marks them in the report, and the report recomputes to its own metrics', async () => {
    const values = syntheticLanes({
      lanes: 3,
      days: 120,
      start: MONDAY_2024,
      seed: 3,
      minLevel: 5,
      maxLevel: 50,
    });
    const excludedDays = new Set([MONDAY_2024 + 110, MONDAY_2024 + 111]);
    const r = await runBacktest(
      values,
      { local: [seasonalNaive, movingAverage, localModel('weekly-profile')], global: [] },
      plan({ levels: [80, 95], excluded: (d) => excludedDays.has(d) }),
    );
    const report = backtestReport(r, { targetMinVolume: 1, excludeWeeks: ['test'] });
    const doc = reportShape.parse(JSON.parse(JSON.stringify(report)));
    for (const l of doc.lanes) {
      expect(l.excludedPoints).toBe(2);
      for (const model of ['seasonal-naive', 'moving-average', 'ensemble']) {
        let abs = 0;
        let act = 0;
        let points = 0;
        for (const f of l.folds) {
          const fc = f.forecasts[model]?.mean ?? [];
          f.actuals.forEach((a, h) => {
            if (f.excluded[h]) return;
            abs += Math.abs(a - (fc[h] ?? 0));
            act += a;
            points++;
          });
        }
        expect(l.metrics[model]?.points).toBe(points);
        expect(l.metrics[model]?.wape ?? 0).toBeCloseTo(abs / act, 3);
      }
    }
  });

  it('the ensemble is the weighted mean of its members, with weights summing to 1', async () => {
    const values = syntheticLanes({
      lanes: 2,
      days: 120,
      start: MONDAY_2024,
      seed: 4,
      minLevel: 5,
      maxLevel: 50,
    });
    const r = await runBacktest(
      values,
      { local: [seasonalNaive, movingAverage, localModel('weekly-profile')], global: [] },
      plan(),
    );
    for (const fold of r.lanes.flatMap((l) => l.folds)) {
      const weights = Object.entries(fold.choice.weights);
      expect(weights.reduce((s, [, w]) => s + w, 0)).toBeCloseTo(1, 12);
      for (let h = 0; h < 7; h++) {
        const expected = weights.reduce((s, [m, w]) => s + w * (fold.forecasts[m]?.mean[h] ?? Number.NaN), 0);
        expect(fold.forecasts.ensemble?.mean[h]).toBeCloseTo(expected, 9);
      }
    }
  });

  it('replaces a failing fit by the moving average and counts it', async () => {
    const broken: Model = {
      name: 'broken',
      fit() {
        throw new Error('boom');
      },
    };
    const r = await runBacktest(series, { local: [broken, movingAverage], global: [] }, plan());
    expect(r.fallbacks.broken).toBe(5);
    expect(r.lanes[0]?.folds[0]?.forecasts.broken?.fallback).toBe('boom');
    expect(Array.from(r.lanes[0]?.folds[0]?.forecasts.broken?.mean ?? [])).toEqual(
      Array.from(r.lanes[0]?.folds[0]?.forecasts['moving-average']?.mean ?? []),
    );
  });

  it('worker threads give exactly the in-process forecasts', async () => {
    const lanes = syntheticLanes({ lanes: 6, days: 150, start: MONDAY_2024, seed: 8 });
    const jobs: LocalJob[] = lanes.map((s, index) => ({
      index,
      start: s.start,
      values: s.values,
      regressors: s.regressors,
      lengths: [120, 134],
    }));
    const names = ['seasonal-naive', 'croston-sba', 'mstl'] as const;
    const inline = await inProcessRunner(names.map((n) => localModel(n)))(jobs, 14, [80], () => undefined);
    let done = 0;
    const threaded = await workerRunner({ threads: 2, models: names, fitWindow: 182, lanesPerBatch: 2 })(
      jobs,
      14,
      [80],
      (n) => {
        done += n;
      },
    );
    expect(done).toBe(6);
    expect(threaded.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let i = 0; i < 6; i++) {
      for (const m of names) {
        expect(Array.from(threaded[i]?.forecasts[1]?.[m]?.mean ?? [])).toEqual(
          Array.from(inline[i]?.forecasts[1]?.[m]?.mean ?? [1]),
        );
      }
    }
  });
});

const forecastJson = z.object({ mean: z.array(z.number()) });
const reportShape = z.object({
  lanes: z.array(
    z.object({
      excludedPoints: z.number(),
      metrics: z.record(z.string(), z.object({ points: z.number(), wape: z.number().nullable() })),
      folds: z.array(
        z.object({
          actuals: z.array(z.number()),
          excluded: z.array(z.boolean()),
          forecasts: z.record(z.string(), forecastJson),
        }),
      ),
    }),
  ),
});
