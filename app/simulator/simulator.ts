import type { CanonicalEvent } from '../../core/mod.ts';
import { seededRandom } from './random.ts';
import { carriers, pick, simulatedWorld, skus, warehouses } from './world.ts';

export interface SimulatorOptions {
  /** Approximate events per second. */
  readonly rate: number;
  readonly seed: number;
  /** Share of shipments whose ship scan never comes in time (→ late_scan). */
  readonly lateRate?: number;
  /** Share of pick lines picked short (→ short_pick). */
  readonly shortPickRate?: number;
  /** The SLA grace the detector applies (policy minutes_past_sla), so deadlines land seconds ahead. */
  readonly slaGraceMs?: number;
  /** Distinguishes runs in shipment ids (a second demo on the same data must not collide with the first). */
  readonly runId?: string;
  /**
   * A carrier's bad afternoon: shipments of `carrierId` at `warehouseId` committed in [fromMs, toMs) are never
   * scanned (→ a burst of late scans with one probable cause: an incident).
   */
  readonly stall?: {
    readonly warehouseId: string;
    readonly carrierId: string;
    readonly fromMs: number;
    readonly toMs: number;
  };
}

export interface SimulatorStats {
  shipments: number;
  events: number;
  injectedLate: number;
  injectedShortPicks: number;
  /** Shipments never scanned because of the stall. */
  stalled: number;
}

interface Scheduled {
  atMs: number;
  make: (nowMs: number) => CanonicalEvent;
}

const EVENTS_PER_SHIPMENT = 6; // commit + ~2 picks + pack + scan + pickup

/**
 * All randomness is drawn when a shipment is created, never when its events fall due, so a seed
 * always yields the same shipments whatever the timing.
 *
 * A compressed-clock 3PL: every commitment's SLA deadline (promisedShipBy + grace) falls 4–20 s after it
 * is made, so the board fills within seconds. Events carry occurredAt = now (the simulator's wall clock).
 * Known injection rates make the demo checkable: late ≈ lateRate of shipments, short picks ≈ shortPickRate of lines.
 */
export function createSimulator(opts: SimulatorOptions) {
  const rand = seededRandom(opts.seed);
  const { customers, lanes } = simulatedWorld(rand);
  const lateRate = opts.lateRate ?? 0.08;
  const shortRate = opts.shortPickRate ?? 0.04;
  const grace = opts.slaGraceMs ?? 60 * 60_000;
  const queue: Scheduled[] = [];
  const stats: SimulatorStats = {
    shipments: 0,
    events: 0,
    injectedLate: 0,
    injectedShortPicks: 0,
    stalled: 0,
  };
  let carry = 0;
  let seq = 0;
  const runId = opts.runId ?? `s${opts.seed}`;

  const at = (atMs: number, make: Scheduled['make']) => queue.push({ atMs, make });
  const iso = (ms: number) => new Date(ms).toISOString();

  function newShipment(nowMs: number): void {
    const n = ++seq;
    const shipmentId = `SHP-${runId}-${String(n).padStart(6, '0')}`;
    const w = pick(rand, warehouses);
    const c = pick(rand, customers);
    const lane = pick(rand, lanes.get(w.id) ?? []);
    const deadline = nowMs + 4_000 + rand() * 16_000;
    const late = rand() < lateRate;
    const lines = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({
      sku: pick(rand, skus),
      qty: 1 + Math.floor(rand() * 24),
    }));
    stats.shipments++;
    if (late) stats.injectedLate++;
    const carrierId = pick(rand, carriers);
    const base = { source: 'demo-simulator', schemaVersion: 1 as const };
    at(nowMs, (t) => ({
      ...base,
      id: `${shipmentId}:committed`,
      type: 'shipment.committed',
      occurredAt: iso(t),
      shipmentId,
      customerId: c.id,
      customerTier: c.tier,
      warehouseId: w.id,
      lane,
      region: w.region,
      carrierId,
      promisedShipBy: iso(deadline - grace),
      promisedDeliverBy: iso(deadline - grace + 2 * 86_400_000),
      lines,
    }));
    lines.forEach((line, i) => {
      const short = rand() < shortRate && line.qty > 1;
      if (short) stats.injectedShortPicks++;
      const qtyPicked = short ? Math.floor(line.qty * rand()) : line.qty;
      at(nowMs + 500 + rand() * 1_500, (t) => ({
        ...base,
        id: `${shipmentId}:pick:${i}`,
        type: 'wms.pick',
        occurredAt: iso(t),
        shipmentId,
        warehouseId: w.id,
        sku: line.sku,
        qtyOrdered: line.qty,
        qtyPicked,
      }));
    });
    const packAt = nowMs + 2_000 + rand() * 1_000;
    at(packAt, (t) => ({
      ...base,
      id: `${shipmentId}:pack`,
      type: 'wms.pack',
      occurredAt: iso(t),
      shipmentId,
      warehouseId: w.id,
    }));
    // On time: scanned before the deadline. Late: half never scanned, half scanned well after the deadline.
    // The draws are made whatever the stall, so a seed yields the same shipments with or without it.
    const planned = late
      ? rand() < 0.5
        ? undefined
        : deadline + 8_000 + rand() * 10_000
      : packAt + rand() * Math.max(0, deadline - packAt - 1_000);
    const st = opts.stall;
    const stalled =
      st !== undefined &&
      st.warehouseId === w.id &&
      st.carrierId === carrierId &&
      nowMs >= st.fromMs &&
      nowMs < st.toMs;
    if (stalled) stats.stalled++;
    const scanAt = stalled ? undefined : planned;
    const pickupDelay = 1_000 + rand() * 4_000;
    if (scanAt !== undefined) {
      at(scanAt, (t) => ({
        ...base,
        id: `${shipmentId}:ship_scan`,
        type: 'wms.ship_scan',
        occurredAt: iso(t),
        shipmentId,
        warehouseId: w.id,
      }));
      // The carrier picks up what was scanned (otherwise missed_pickup would fill the board an hour in).
      const pickupAt = scanAt + pickupDelay;
      at(pickupAt, (t) => ({
        ...base,
        id: `${shipmentId}:picked_up`,
        type: 'tms.status',
        occurredAt: iso(t),
        shipmentId,
        status: 'picked_up' as const,
        location: w.city,
      }));
    }
  }

  return {
    stats,
    /** Everything due up to `nowMs` (new shipments at the configured rate, then their scheduled events). */
    step(nowMs: number, elapsedMs: number): CanonicalEvent[] {
      carry += (opts.rate / EVENTS_PER_SHIPMENT) * (elapsedMs / 1000);
      for (; carry >= 1; carry--) newShipment(nowMs);
      queue.sort((a, b) => a.atMs - b.atMs);
      let due = 0;
      while (due < queue.length && (queue[due]?.atMs ?? Infinity) <= nowMs) due++;
      const out = queue.splice(0, due).map((s) => s.make(nowMs));
      stats.events += out.length;
      return out;
    },
  };
}
