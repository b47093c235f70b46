import type { Store } from '../core/mod.ts';
import { dayFromMs, formatDay } from './days.ts';
import { LIVE_MAX_STEP, LIVE_WINDOW_DAYS } from './live-accuracy.ts';
import { liveActuals, type ModelPoint, modelForecastPoints, SERVED_ROLE } from './live-accuracy-queries.ts';
import { PEER_MODELS } from './peers.ts';
import { seriesKey } from './series.ts';
import type { Measure } from './store.ts';

/**
 * Is the served forecast better than what a planner could run instead, on *these* lanes, now? The live
 * counterpart of the backtest's served-vs-peers: every run stores its peers' forecasts beside the served
 * one (naive, seasonal naive, the 28-day mean; ARIMA and raw MSTL when a run includes them), and each is
 * scored as actuals arrive, on the same window and lead as the live accuracy KPI (live-accuracy.ts).
 * Fair by construction: per lane, only the (day, step) points every compared forecast has are scored.
 * `servedVsBestPeer` = 1 − WAPE(served) / WAPE(best peer): positive when the served forecast is better.
 * `coverage`: the share of those points whose actual fell inside the served forecast's stored band, per
 * level — whether "80 %" has meant 80 % on these lanes lately (the bands are what truck plans are cut from).
 */
export interface ModelScore {
  readonly model: string;
  readonly wape: number | null;
}

export interface PeerComparison {
  /** Points (lane, day, step) compared; 0 when no point had every forecast. */
  readonly points: number;
  /** Σ actual over the compared points. */
  readonly actual: number;
  readonly served: number | null;
  /** Each peer's WAPE on the same points, best first. */
  readonly peers: readonly ModelScore[];
  readonly bestPeer: string | null;
  readonly servedVsBestPeer: number | null;
  /** Band level (percent, as text) → share of the points inside the served forecast's band. */
  readonly coverage: Readonly<Record<string, number>>;
}

export interface LanePeerComparison extends PeerComparison {
  readonly lane: string;
  readonly warehouse: string;
}

export interface LivePeers {
  readonly measure: Measure;
  readonly from: string;
  readonly to: string;
  readonly maxStep: number;
  /** The peers compared (those of PEER_MODELS the stored runs hold). */
  readonly peers: readonly string[];
  readonly network: PeerComparison & { readonly lanes: number; readonly lanesServedBetter: number };
  readonly lanes: readonly LanePeerComparison[];
}

interface Sums {
  abs: Map<string, number>;
  actual: number;
  points: number;
  /** Served band level → [points inside, points with that band]. */
  inside: Map<number, [number, number]>;
}

const emptySums = (): Sums => ({ abs: new Map(), actual: 0, points: 0, inside: new Map() });

function comparison(sums: Sums, peers: readonly string[]): PeerComparison {
  const w = (model: string) => {
    const abs = sums.abs.get(model);
    return abs === undefined || sums.actual <= 0 ? null : abs / sums.actual;
  };
  const scored = peers
    .map((model) => ({ model, wape: w(model) }))
    .sort((a, b) => (a.wape ?? Number.POSITIVE_INFINITY) - (b.wape ?? Number.POSITIVE_INFINITY));
  const served = w(SERVED_ROLE);
  const best = scored[0];
  const bestWape = best?.wape ?? null;
  return {
    points: sums.points,
    actual: sums.actual,
    served,
    peers: scored,
    bestPeer: bestWape === null ? null : (best?.model ?? null),
    servedVsBestPeer: served === null || bestWape === null || bestWape === 0 ? null : 1 - served / bestWape,
    coverage: Object.fromEntries(
      [...sums.inside].sort(([a], [b]) => a - b).map(([level, [inside, of]]) => [String(level), inside / of]),
    ),
  };
}

/** Scores the served forecast and `peers` on the points they all have, per lane and pooled. */
export function scoreLivePeers(
  points: readonly ModelPoint[],
  peers: readonly string[],
  actual: (key: string, day: number) => number,
): { lanes: LanePeerComparison[]; network: LivePeers['network'] } {
  const models = [SERVED_ROLE, ...peers];
  // lane key → "day:step" → model → its point
  const byLane = new Map<
    string,
    { lane: string; warehouse: string; at: Map<string, Map<string, ModelPoint>> }
  >();
  for (const p of points) {
    const key = seriesKey(p.lane, p.warehouse);
    let lane = byLane.get(key);
    if (!lane) {
      lane = { lane: p.lane, warehouse: p.warehouse, at: new Map() };
      byLane.set(key, lane);
    }
    const at = `${p.day}:${p.step}`;
    const forecasts = lane.at.get(at) ?? new Map<string, ModelPoint>();
    forecasts.set(p.model, p);
    lane.at.set(at, forecasts);
  }
  const network = emptySums();
  const lanes: LanePeerComparison[] = [];
  for (const [key, lane] of byLane) {
    const sums = emptySums();
    for (const [at, forecasts] of lane.at) {
      if (!models.every((m) => forecasts.has(m))) continue;
      const a = actual(key, Number(at.slice(0, at.indexOf(':'))));
      for (const target of [sums, network]) {
        target.actual += a;
        target.points += 1;
        for (const m of models)
          target.abs.set(m, (target.abs.get(m) ?? 0) + Math.abs(a - (forecasts.get(m)?.mean ?? 0)));
        for (const b of forecasts.get(SERVED_ROLE)?.bands ?? []) {
          const c = target.inside.get(b.level) ?? [0, 0];
          target.inside.set(b.level, [c[0] + (a >= b.lower && a <= b.upper ? 1 : 0), c[1] + 1]);
        }
      }
    }
    if (sums.points > 0)
      lanes.push({ lane: lane.lane, warehouse: lane.warehouse, ...comparison(sums, peers) });
  }
  lanes.sort((x, y) => (x.lane === y.lane ? cmp(x.warehouse, y.warehouse) : cmp(x.lane, y.lane)));
  return {
    lanes,
    network: {
      ...comparison(network, peers),
      lanes: lanes.length,
      lanesServedBetter: lanes.filter((l) => (l.servedVsBestPeer ?? 0) > 0).length,
    },
  };
}

/** The live comparison as of `nowMs`: undefined when no stored forecast covers a complete day of the window. */
export async function livePeers(
  store: Store,
  q: { measure: Measure; nowMs: number },
): Promise<LivePeers | undefined> {
  const to = dayFromMs(q.nowMs);
  const from = to - LIVE_WINDOW_DAYS;
  const points = await modelForecastPoints(store, {
    measure: q.measure,
    from,
    to,
    maxStep: LIVE_MAX_STEP,
    models: PEER_MODELS,
  });
  if (points.length === 0) return undefined;
  const stored = new Set(points.map((p) => p.model));
  const peers = PEER_MODELS.filter((m) => stored.has(m));
  const actual = await liveActuals(store, { measure: q.measure, from, to }, points);
  const scored = scoreLivePeers(points, peers, actual);
  return {
    measure: q.measure,
    from: formatDay(from),
    to: formatDay(to - 1),
    maxStep: LIVE_MAX_STEP,
    peers,
    ...scored,
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
