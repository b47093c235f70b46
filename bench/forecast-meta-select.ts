import type { LaneBacktest } from '../forecasting/backtest.ts';
import { backtestSeries } from '../forecasting/backtest-csv.ts';
import { TOTAL_LANE } from '../forecasting/mod.ts';
import { PEER_MODELS, SERVED } from '../forecasting/peers.ts';
import { OLIST_ROLLING_OPTIONS, olistFromArgs } from './lib/olist-rolling.ts';
import { writeResult } from './lib/results.ts';

/**
 * An experiment (issue 14, "a served forecast robust to regime shifts"): on the rolling schedule (an origin
 * every 7 days, H = 14), serve per lane whichever of the ensemble and the peers Dockside stores beside it
 * (naive, seasonal naive, 28-day mean) did best on that lane over the last WINDOW known days before the
 * origin — what the live check sees in production — switching from the ensemble only when a peer's WAPE
 * there was lower by MARGIN. Scored like the served forecast, against every peer (ARIMA and raw MSTL too).
 * Rule variants are declared here before any run; they are judged on the development window (--until
 * 2017-11-05) and only then looked at on the year-end window.
 * Usage: node bin/run-ts.js bench/forecast-meta-select.ts [--until YYYY-MM-DD]
 */
const VARIANTS = [
  { window: 28, margin: 0.1 },
  { window: 28, margin: 0 },
  { window: 56, margin: 0.1 },
] as const;
const SWITCH_TO = ['naive', 'seasonal-naive', 'moving-average'] as const;

const { series, untilText } = await olistFromArgs();
const { result } = await backtestSeries(series, OLIST_ROLLING_OPTIONS);

/** Σ|a − f| and Σa of `model` on `lane` over days in [from, to) of folds with origin < to. */
function record(lane: LaneBacktest, model: string, from: number, to: number) {
  let abs = 0;
  let actual = 0;
  // Each day once: from the latest origin before it (the forecast a planner had then).
  const seen = new Set<number>();
  for (const fold of [...lane.folds].sort((a, b) => b.origin - a.origin)) {
    if (fold.origin >= to) continue;
    const f = fold.forecasts[model];
    if (!f) continue;
    for (let h = 0; h < fold.actuals.length; h++) {
      const day = fold.origin + h;
      if (day < from || day >= to || seen.has(day) || fold.excluded[h]) continue;
      seen.add(day);
      abs += Math.abs((fold.actuals[h] ?? 0) - (f.mean[h] ?? 0));
      actual += fold.actuals[h] ?? 0;
    }
  }
  return { abs, actual };
}

function chosen(lane: LaneBacktest, origin: number, v: (typeof VARIANTS)[number]): string {
  const served = record(lane, SERVED, origin - v.window, origin);
  if (served.actual <= 0) return SERVED;
  let best: string = SERVED;
  let bestAbs = served.abs * (1 - v.margin);
  for (const peer of SWITCH_TO) {
    const r = record(lane, peer, origin - v.window, origin);
    if (r.actual > 0 && r.abs < bestAbs) {
      best = peer;
      bestAbs = r.abs;
    }
  }
  return best;
}

const isTotal = (l: LaneBacktest) => l.series.lane === TOTAL_LANE;
const sets = {
  target: (l: LaneBacktest) => !isTotal(l) && l.meanVolume >= 1,
  allLanes: (l: LaneBacktest) => !isTotal(l),
  total: isTotal,
};
const round = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);

const out: Record<string, unknown> = {};
for (const [name, include] of Object.entries(sets)) {
  const lanes = result.lanes.filter(include);
  const sums = new Map<string, { abs: number; actual: number }>();
  const add = (key: string, abs: number, actual: number) => {
    const s = sums.get(key) ?? { abs: 0, actual: 0 };
    s.abs += abs;
    s.actual += actual;
    sums.set(key, s);
  };
  const switched: Record<string, number> = {};
  for (const lane of lanes)
    for (const fold of lane.folds) {
      const score = (model: string) => {
        const f = fold.forecasts[model];
        let abs = 0;
        let actual = 0;
        for (let h = 0; h < fold.actuals.length; h++) {
          if (fold.excluded[h]) continue;
          abs += Math.abs((fold.actuals[h] ?? 0) - (f?.mean[h] ?? 0));
          actual += fold.actuals[h] ?? 0;
        }
        return { abs, actual };
      };
      for (const m of [SERVED, ...PEER_MODELS]) {
        if (!fold.forecasts[m]) continue;
        const s = score(m);
        add(m, s.abs, s.actual);
      }
      VARIANTS.forEach((v, i) => {
        const pick = chosen(lane, fold.origin, v);
        if (pick !== SERVED) switched[`v${i}`] = (switched[`v${i}`] ?? 0) + 1;
        const s = score(pick);
        add(`meta${i}`, s.abs, s.actual);
      });
    }
  const wape = Object.fromEntries(
    [...sums].map(([k, s]) => [k, round(s.actual > 0 ? s.abs / s.actual : null)]),
  );
  const peers = PEER_MODELS.map((m) => wape[m]).filter((x): x is number => typeof x === 'number');
  const best = Math.min(...peers);
  out[name] = {
    lanes: lanes.length,
    folds: lanes.reduce((n, l) => n + l.folds.length, 0),
    wape,
    bestPeer: best,
    vsBestPeer: Object.fromEntries(
      [SERVED, ...VARIANTS.map((_, i) => `meta${i}`)].map((k) => [k, round(1 - (wape[k] ?? 0) / best)]),
    ),
    switched,
  };
}
const file = writeResult(untilText === undefined ? 'forecast-meta-select' : 'forecast-meta-select-dev', {
  until: untilText ?? null,
  variants: VARIANTS,
  origins: result.origins.length,
  sets: out,
});
console.log(JSON.stringify(out, null, 2));
console.error(`→ ${file}`);
