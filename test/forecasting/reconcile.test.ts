import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/mod.ts';
import {
  type Hierarchy,
  laneHierarchy,
  RECONCILE_METHODS,
  ReconcileError,
  reconcile,
} from '../../forecasting/reconcile.ts';

/**
 * Reconciliation: every method's answer adds up exactly (to the last bit) at every level and day; OLS and
 * WLS are the projections they claim to be (the residual is orthogonal to the coherent subspace, checked
 * from the definition, not from the solver); top-down splits the total's forecast by historical shares.
 */
const H = 14;

/**
 * Lanes at 4 warehouses (one lane split over two), with base forecasts for every node: each aggregate's
 * own forecast is its lanes' sum off by up to ±15 % (incoherent, as separately fitted forecasts are).
 */
function randomHierarchy(seed: number, lanes = 23, busy = false): Hierarchy {
  const rnd = seededRandom(seed);
  const input = Array.from({ length: lanes }, (_, i) => ({
    lane: `L${i}`,
    warehouse: i === 0 ? '' : `W${i % 4}`,
    mean: Array.from({ length: H }, () => 1 + rnd() * 30 + (busy ? 20 : 0)),
    history: 10 + rnd() * 500,
  }));
  const splits = new Map([
    [
      'L0',
      new Map([
        ['W1', 3],
        ['W2', 1],
      ]),
    ],
  ]);
  const h = laneHierarchy(input, splits);
  const aggregates = h.aggregates.map((a) => ({
    ...a,
    mean: Array.from(
      { length: H },
      (_, t) => a.members.reduce((s, i) => s + (h.leaves[i]?.mean[t] as number), 0) * (0.85 + 0.3 * rnd()),
    ),
  }));
  return { ...h, aggregates };
}

function expectCoherent(h: Hierarchy, r: ReturnType<typeof reconcile>): void {
  h.aggregates.forEach((a, k) => {
    for (let t = 0; t < H; t++) {
      const forward = a.members.reduce((s, i) => s + (r.leaves[i]?.[t] as number), 0);
      const backward = [...a.members].reverse().reduce((s, i) => s + (r.leaves[i]?.[t] as number), 0);
      expect(r.aggregates[k]?.[t], `${r.method} ${a.key} day ${t}`).toBe(forward);
      expect(r.aggregates[k]?.[t], `${r.method} ${a.key} day ${t}`).toBe(backward);
    }
  });
  // The total also equals the sum of the warehouses, whatever the order.
  for (let t = 0; t < H; t++) {
    const whs = r.aggregates.slice(1, 5).map((a) => a[t] as number);
    expect(r.aggregates[0]?.[t]).toBe(whs.reduce((s, x) => s + x, 0));
    expect(r.aggregates[0]?.[t]).toBe([...whs].reverse().reduce((s, x) => s + x, 0));
  }
}

describe('forecast reconciliation', () => {
  it('sums exactly at every level and day, for every method', () => {
    for (const seed of [1, 2, 3]) {
      const h = randomHierarchy(seed);
      expect(h.aggregates.map((a) => a.key).slice(0, 5)).toEqual(['TOTAL', 'W0', 'W1', 'W2', 'W3']);
      for (const method of RECONCILE_METHODS) expectCoherent(h, reconcile(h, method));
    }
  });

  it('bottom-up keeps the lanes; a split lane goes to its warehouses by share', () => {
    const h = randomHierarchy(4);
    const r = reconcile(h, 'bottom-up');
    h.leaves.forEach((leaf, i) => {
      for (let t = 0; t < H; t++) expect(r.leaves[i]?.[t]).toBeCloseTo(leaf.mean[t] as number, 4);
    });
    const l0 = h.aggregates.find((a) => a.key === 'L0');
    expect(l0?.members.map((i) => h.leaves[i]?.key)).toEqual(['L0@W1', 'L0@W2']);
    const [w1, w2] = (l0?.members ?? []).map((i) => h.leaves[i]?.mean[0] as number);
    expect((w1 as number) / ((w1 as number) + (w2 as number))).toBeCloseTo(0.75, 12);
  });

  it("top-down splits the total's forecast by each lane's historical share", () => {
    const h = randomHierarchy(5);
    const r = reconcile(h, 'top-down');
    const shares = h.leaves.map((l) => l.share as number);
    const sum = shares.reduce((s, x) => s + x, 0);
    const total = h.aggregates[0]?.mean as number[];
    h.leaves.forEach((_, i) => {
      for (let t = 0; t < H; t++)
        expect(r.leaves[i]?.[t]).toBeCloseTo(((shares[i] as number) / sum) * (total[t] as number), 4);
    });
    for (let t = 0; t < H; t++) expect(r.aggregates[0]?.[t]).toBeCloseTo(total[t] as number, 3);
  });

  it('ols and wls are projections: Sᵀ W (ŷ − S ỹ) = 0 for every leaf', () => {
    // Busy lanes: no reconciled lane goes below zero (a clipped lane is no longer a projection).
    const h = randomHierarchy(6, 9, true);
    for (const method of ['ols', 'wls'] as const) {
      const r = reconcile(h, method);
      expect(Math.min(...r.leaves.flat())).toBeGreaterThan(0);
      const w = (size: number) => (method === 'ols' ? 1 : 1 / size);
      for (let t = 0; t < H; t++) {
        const grad = h.leaves.map(
          (leaf, i) => w(1) * ((leaf.mean[t] as number) - (r.leaves[i]?.[t] as number)),
        );
        h.aggregates.forEach((a, k) => {
          const e = w(a.members.length) * ((a.mean?.[t] as number) - (r.aggregates[k]?.[t] as number));
          for (const i of a.members) grad[i] = (grad[i] as number) + e;
        });
        // Rounding to 2⁻¹⁶ per leaf leaves a residue far below a shipment.
        for (const g of grad) expect(Math.abs(g), `${method} day ${t}`).toBeLessThan(1e-3);
      }
    }
  });

  it('ols on two lanes and a total: a known answer', () => {
    const h: Hierarchy = {
      leaves: [
        { key: 'a', mean: [1] },
        { key: 'b', mean: [2] },
      ],
      aggregates: [{ key: 'TOTAL', members: [0, 1], mean: [6] }],
      total: 0,
    };
    // (SᵀS)⁻¹Sᵀŷ = ⅓[[2,−1],[−1,2]]·[7, 8] = [2, 3]
    const r = reconcile(h, 'ols');
    expect(r.leaves).toEqual([[2], [3]]);
    expect(r.aggregates).toEqual([[5]]);
  });

  it('keeps volumes non-negative and says what is missing', () => {
    const h: Hierarchy = {
      leaves: [
        { key: 'a', mean: [0.1] },
        { key: 'b', mean: [9] },
      ],
      aggregates: [{ key: 'TOTAL', members: [0, 1], mean: [2] }],
      total: 0,
    };
    const r = reconcile(h, 'ols');
    expect(Math.min(...r.leaves.flat())).toBe(0);
    expect(r.aggregates[0]?.[0]).toBe((r.leaves[0]?.[0] as number) + (r.leaves[1]?.[0] as number));
    const bare = { ...h, aggregates: [{ key: 'TOTAL', members: [0, 1] }] };
    expect(() => reconcile(bare, 'top-down')).toThrow(ReconcileError);
    expect(() => reconcile(bare, 'wls')).toThrow(/aggregate TOTAL has no forecast of its own/);
  });
});
