import { quantile } from 'simple-statistics';
import type { BacktestResult } from './backtest.ts';
import { formatDay } from './days.ts';
import { type DataSet, PEER_MODELS, pooledWape, SERVED } from './peers.ts';

/**
 * Rolling-origin evaluation (`forecast backtest --rolling`): an origin every ROLLING_STEP days over the
 * last ROLLING_ORIGINS weeks, each scored on the H days after it, every method at every origin (folds of
 * consecutive origins overlap when H > 7; each is still fitted on the days before its own origin only).
 * Reported per data set: each method's WAPE at every origin, its median and quartiles over origins, and
 * the share of origins at which the served forecast beats each peer (a strictly lower WAPE).
 */
export const ROLLING_STEP = 7;
export const ROLLING_ORIGINS = 26;

const round = (v: number) => Math.round(v * 10_000) / 10_000;

export function rollingSummary(result: BacktestResult, sets: readonly DataSet[]) {
  const origins = result.origins;
  const dataSets = Object.fromEntries(
    sets.flatMap((set) => {
      const lanes = result.lanes.filter(set.include);
      if (lanes.length === 0) return [];
      const perOrigin: Record<string, (number | null)[]> = {};
      for (const model of result.models) perOrigin[model] = origins.map((o) => pooledWape(lanes, model, o));
      const distribution = Object.fromEntries(
        Object.entries(perOrigin).map(([model, values]) => {
          const finite = values.filter((v): v is number => v !== null);
          return [
            model,
            finite.length === 0
              ? { origins: 0, median: null, p25: null, p75: null }
              : {
                  origins: finite.length,
                  median: round(quantile(finite, 0.5)),
                  p25: round(quantile(finite, 0.25)),
                  p75: round(quantile(finite, 0.75)),
                },
          ];
        }),
      );
      const served = perOrigin[SERVED] ?? [];
      const servedBeats = Object.fromEntries(
        PEER_MODELS.filter((m) => perOrigin[m]).map((peer) => {
          let both = 0;
          let wins = 0;
          (perOrigin[peer] ?? []).forEach((w, i) => {
            const s = served[i];
            if (w === null || s === null || s === undefined) return;
            both++;
            if (s < w) wins++;
          });
          return [peer, both > 0 ? round(wins / both) : null];
        }),
      );
      return [
        [
          set.name,
          {
            lanes: lanes.length,
            distribution,
            servedBeats,
            perOrigin: Object.fromEntries(
              Object.entries(perOrigin).map(([m, v]) => [m, v.map((x) => (x === null ? null : round(x)))]),
            ),
          },
        ],
      ];
    }),
  );
  return {
    step: result.plan.step ?? result.plan.horizon,
    horizon: result.plan.horizon,
    origins: origins.map(formatDay),
    served: SERVED,
    dataSets,
  };
}
