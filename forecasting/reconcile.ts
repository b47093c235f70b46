/**
 * Forecast reconciliation: lane forecasts that add up to the warehouse and network totals. Pure.
 *
 * A hierarchy is a set of leaves (the bottom series: a lane, or a lane at one warehouse) and aggregates,
 * each the sum of some leaves (a warehouse, the network total, a lane split over warehouses). Every method
 * produces leaf forecasts and derives every aggregate by summing its leaves, so the answer is coherent by
 * construction:
 *  - bottom-up: the leaves' own forecasts;
 *  - top-down: the total's forecast split by each leaf's historical share of the total
 *    (proportions of the historical averages, Gross & Sohl's method F);
 *  - ols / wls: the projection of every node's forecast onto coherent forecasts (Hyndman et al. 2011),
 *    ỹ_leaves = (SᵀWS)⁻¹ SᵀW ŷ, with W = I (ols) or W = diag(1 / leaves under the node) (wls, the
 *    structural scaling of Athanasopoulos et al. 2017: a node's error variance grows with its size).
 * Volumes are not negative: a negative reconciled leaf is set to 0 (the aggregates follow it). Leaves are
 * rounded to multiples of 2⁻¹⁶ (1.5e-5 shipments), so every partial sum is exact in binary floating point
 * and an aggregate equals the sum of its members in any order, to the last bit.
 */
export type ReconcileMethod = 'bottom-up' | 'top-down' | 'ols' | 'wls';
export const RECONCILE_METHODS: readonly ReconcileMethod[] = ['bottom-up', 'top-down', 'ols', 'wls'];

export interface Leaf {
  readonly key: string;
  /** The leaf's own forecast, one value per day. */
  readonly mean: ArrayLike<number>;
  /** Historical share of the total (top-down); shares are renormalised over the leaves. */
  readonly share?: number;
}

export interface Aggregate {
  readonly key: string;
  /** Indexes into the leaves. */
  readonly members: readonly number[];
  /** The aggregate's own forecast (needed by ols and wls for every aggregate, by top-down for the total). */
  readonly mean?: ArrayLike<number>;
}

export interface Hierarchy {
  readonly leaves: readonly Leaf[];
  readonly aggregates: readonly Aggregate[];
  /** Index of the aggregate that holds every leaf (top-down splits its forecast). */
  readonly total: number;
}

export interface Reconciled {
  readonly method: ReconcileMethod;
  readonly leaves: readonly number[][];
  readonly aggregates: readonly number[][];
}

export class ReconcileError extends Error {
  override readonly name = 'ReconcileError';
}

const GRID = 65_536;
const onGrid = (v: number) => Math.round(Math.max(0, v) * GRID) / GRID;

export function reconcile(h: Hierarchy, method: ReconcileMethod): Reconciled {
  const horizon = h.leaves[0]?.mean.length ?? 0;
  for (const l of h.leaves) {
    if (l.mean.length !== horizon)
      throw new ReconcileError(`leaf ${l.key}: ${l.mean.length} days, expected ${horizon} like the others`);
  }
  let leaves: number[][];
  if (method === 'bottom-up') leaves = h.leaves.map((l) => Array.from(l.mean));
  else if (method === 'top-down') leaves = topDown(h, horizon);
  else leaves = projection(h, horizon, method);
  const rounded = leaves.map((row) => row.map(onGrid));
  return { method, leaves: rounded, aggregates: h.aggregates.map((a) => sumOf(rounded, a.members, horizon)) };
}

function sumOf(leaves: readonly number[][], members: readonly number[], horizon: number): number[] {
  const out = new Array<number>(horizon).fill(0);
  for (const i of members) {
    const row = leaves[i] as number[];
    for (let t = 0; t < horizon; t++) out[t] = (out[t] as number) + (row[t] as number);
  }
  return out;
}

function baseOf(a: Aggregate, horizon: number, method: ReconcileMethod): ArrayLike<number> {
  if (!a.mean) throw new ReconcileError(`${method}: aggregate ${a.key} has no forecast of its own`);
  if (a.mean.length !== horizon)
    throw new ReconcileError(`aggregate ${a.key}: ${a.mean.length} days, expected ${horizon}`);
  return a.mean;
}

function topDown(h: Hierarchy, horizon: number): number[][] {
  const total = h.aggregates[h.total];
  if (!total) throw new ReconcileError(`top-down: no total aggregate at index ${h.total}`);
  const base = baseOf(total, horizon, 'top-down');
  const shares = h.leaves.map((l) =>
    Number.isFinite(l.share) && (l.share ?? 0) > 0 ? (l.share as number) : 0,
  );
  const sum = shares.reduce((s, x) => s + x, 0);
  // No history at all: equal shares (nothing better is known).
  const p = sum > 0 ? shares.map((x) => x / sum) : shares.map(() => 1 / shares.length);
  return p.map((pi) => Array.from(base, (v) => pi * v));
}

/** (SᵀWS)⁻¹ SᵀW ŷ per day, SᵀWS factored once (Cholesky; it is positive definite: it contains W_leaves). */
function projection(h: Hierarchy, horizon: number, method: 'ols' | 'wls'): number[][] {
  const m = h.leaves.length;
  const bases = h.aggregates.map((a) => baseOf(a, horizon, method));
  const weight = (size: number) => (method === 'ols' ? 1 : 1 / size);
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) a[i * m + i] = weight(1);
  for (const agg of h.aggregates) {
    const w = weight(agg.members.length);
    for (const i of agg.members) for (const j of agg.members) a[i * m + j] = (a[i * m + j] as number) + w;
  }
  const chol = cholesky(a, m);
  const out = h.leaves.map(() => new Array<number>(horizon).fill(0));
  const rhs = new Float64Array(m);
  for (let t = 0; t < horizon; t++) {
    for (let i = 0; i < m; i++) rhs[i] = weight(1) * ((h.leaves[i] as Leaf).mean[t] as number);
    h.aggregates.forEach((agg, k) => {
      const w = weight(agg.members.length) * ((bases[k] as ArrayLike<number>)[t] as number);
      for (const i of agg.members) rhs[i] = (rhs[i] as number) + w;
    });
    const x = choleskySolve(chol, m, rhs);
    for (let i = 0; i < m; i++) (out[i] as number[])[t] = x[i] as number;
  }
  return out;
}

/** Lower-triangular L with A = LLᵀ (row-major, m × m). */
function cholesky(a: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * m + k] as number) * (l[j * m + k] as number);
      if (i === j) {
        if (!(s > 0)) throw new ReconcileError('reconciliation matrix is not positive definite');
        l[i * m + i] = Math.sqrt(s);
      } else l[i * m + j] = s / (l[j * m + j] as number);
    }
  }
  return l;
}

function choleskySolve(l: Float64Array, m: number, b: Float64Array): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * m + k] as number) * (y[k] as number);
    y[i] = s / (l[i * m + i] as number);
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < m; k++) s -= (l[k * m + i] as number) * (x[k] as number);
    x[i] = s / (l[i * m + i] as number);
  }
  return x;
}

/**
 * The warehouse-and-network hierarchy of lane forecasts. A lane forecast over all warehouses (warehouse
 * '') is split into its warehouses by `splits` (lane → warehouse → historical share); a lane without
 * history goes to warehouse '' (unknown). Leaves are (lane, warehouse) pieces; aggregates are the total
 * (index 0), then each warehouse, then each lane split over more than one warehouse.
 */
export interface LaneForecast {
  readonly lane: string;
  readonly warehouse: string;
  readonly mean: ArrayLike<number>;
  /** Historical volume (top-down shares). */
  readonly history?: number;
}

export interface LaneHierarchy extends Hierarchy {
  /** Per leaf: its lane and warehouse, the index of the input lane it came from, and its share of it. */
  readonly pieces: readonly {
    readonly lane: string;
    readonly warehouse: string;
    readonly from: number;
    readonly share: number;
  }[];
  readonly warehouses: readonly string[];
}

export function laneHierarchy(
  lanes: readonly LaneForecast[],
  splits: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
  aggregateMeans: { total?: ArrayLike<number>; warehouses?: ReadonlyMap<string, ArrayLike<number>> } = {},
): LaneHierarchy {
  const leaves: Leaf[] = [];
  const pieces: { lane: string; warehouse: string; from: number; share: number }[] = [];
  const splitLanes: Aggregate[] = [];
  for (const [from, l] of lanes.entries()) {
    const split = l.warehouse === '' ? normalised(splits.get(l.lane)) : undefined;
    const parts = split ?? [[l.warehouse, 1] as const];
    const members: number[] = [];
    for (const [warehouse, share] of parts) {
      members.push(leaves.length);
      pieces.push({ lane: l.lane, warehouse, from, share });
      leaves.push({
        key: `${l.lane}@${warehouse}`,
        mean: Array.from(l.mean, (v) => v * share),
        ...(l.history === undefined ? {} : { share: l.history * share }),
      });
    }
    if (members.length > 1) splitLanes.push({ key: l.lane, members, mean: l.mean });
  }
  const warehouses = [...new Set(pieces.map((p) => p.warehouse))].sort();
  const byWarehouse = warehouses.map((w) => {
    const mean = aggregateMeans.warehouses?.get(w);
    return {
      key: w,
      members: pieces.flatMap((p, i) => (p.warehouse === w ? [i] : [])),
      ...(mean ? { mean } : {}),
    };
  });
  const total: Aggregate = {
    key: 'TOTAL',
    members: leaves.map((_, i) => i),
    ...(aggregateMeans.total ? { mean: aggregateMeans.total } : {}),
  };
  return { leaves, aggregates: [total, ...byWarehouse, ...splitLanes], total: 0, pieces, warehouses };
}

function normalised(
  split: ReadonlyMap<string, number> | undefined,
): (readonly [string, number])[] | undefined {
  if (!split) return undefined;
  const parts = [...split]
    .filter(([, v]) => Number.isFinite(v) && v > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const sum = parts.reduce((s, [, v]) => s + v, 0);
  return parts.length === 0 ? undefined : parts.map(([w, v]) => [w, v / sum] as const);
}
