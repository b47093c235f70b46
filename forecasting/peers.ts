import type { BacktestResult, FoldResult, LaneBacktest } from './backtest.ts';

/**
 * The served forecast against its peers (issue 14): the forecast `GET /api/forecasts` returns (the same
 * name as forecast-run.ts's SERVED_MODEL, checked by a test) against what a planner could run instead.
 * `servedVsBestPeer` = 1 − WAPE(served) / min over peers of WAPE(peer): the target is ≥ 0.05 per data set.
 */
export const SERVED = 'ensemble';
/** Naive, seasonal naive, the 28-day mean, automatic seasonal ARIMA, augurs MSTL as shipped (no cleaning). */
export const PEER_MODELS = ['naive', 'seasonal-naive', 'moving-average', 'arima', 'mstl-raw'] as const;
export const SERVED_TARGET_IMPROVEMENT = 0.05;

/** A data set of lanes scored together (WAPE pooled over its lanes' points). */
export interface DataSet {
  readonly name: string;
  readonly include: (lane: LaneBacktest) => boolean;
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10_000);

/** Σ|a − f| and Σa of one model over a fold's scored days. */
export function foldErrors(fold: FoldResult, model: string): { absError: number; actual: number } | null {
  const f = fold.forecasts[model];
  if (!f) return null;
  let absError = 0;
  let actual = 0;
  for (let h = 0; h < fold.actuals.length; h++) {
    if (fold.excluded[h]) continue;
    const a = fold.actuals[h] ?? 0;
    absError += Math.abs(a - (f.mean[h] ?? 0));
    actual += a;
  }
  return { absError, actual };
}

/** Pooled WAPE of a model over the lanes of a set, over all folds or only those at `origin`. */
export function pooledWape(lanes: readonly LaneBacktest[], model: string, origin?: number): number | null {
  let absError = 0;
  let actual = 0;
  let seen = false;
  for (const lane of lanes)
    for (const fold of lane.folds) {
      if (origin !== undefined && fold.origin !== origin) continue;
      const e = foldErrors(fold, model);
      if (!e) continue;
      seen = true;
      absError += e.absError;
      actual += e.actual;
    }
  return seen && actual > 0 ? absError / actual : null;
}

export function servedVsPeers(result: BacktestResult, sets: readonly DataSet[]) {
  const peers = PEER_MODELS.filter((m) => result.models.includes(m));
  const dataSets = Object.fromEntries(
    sets.flatMap((set) => {
      const lanes = result.lanes.filter(set.include);
      if (lanes.length === 0) return [];
      const served = pooledWape(lanes, SERVED);
      const wape = Object.fromEntries(peers.map((m) => [m, pooledWape(lanes, m)]));
      let bestPeer: string | null = null;
      for (const m of peers) {
        const w = wape[m];
        if (w === null || w === undefined) continue;
        if (bestPeer === null || w < (wape[bestPeer] ?? Number.POSITIVE_INFINITY)) bestPeer = m;
      }
      const best = bestPeer === null ? null : (wape[bestPeer] ?? null);
      const improvement = served !== null && best ? 1 - served / best : null;
      return [
        [
          set.name,
          {
            lanes: lanes.length,
            wape: {
              served: round(served),
              ...Object.fromEntries(peers.map((m) => [m, round(wape[m] ?? null)])),
            } as Record<string, number | null>,
            bestPeer,
            servedVsBestPeer: round(improvement),
            meetsTarget: improvement !== null && improvement >= SERVED_TARGET_IMPROVEMENT,
          },
        ],
      ];
    }),
  );
  return {
    model: SERVED,
    peers,
    missingPeers: PEER_MODELS.filter((m) => !result.models.includes(m)),
    rule: `servedVsBestPeer = 1 - WAPE(served) / min WAPE(peer), pooled over the set's lanes and folds; target >= ${SERVED_TARGET_IMPROVEMENT}`,
    dataSets,
  };
}
