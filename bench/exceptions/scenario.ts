import { type CanonicalEvent, seededRandom } from '../../core/mod.ts';

/**
 * A seeded synthetic 3PL history that exercises every exception type: commitments, picks (some short),
 * packs, ship scans (on time, late, missing), cancellations, carrier statuses (pickup, arrival/departure,
 * ETAs, delays, delivery on time or late), PODs, tenders (accepted, rejected, unanswered), cycle counts
 * and WISMO contacts (one customer spiking). Used by the tests and the benchmarks.
 */
export interface ScenarioOptions {
  readonly shipments: number;
  readonly seed?: number;
  /** Event time of the first commitment (ms). */
  readonly startMs?: number;
  /** Event time between two commitments. */
  readonly spacingMs?: number;
  /** Append one far-future tick per partition so every partition's watermark passes every deadline. */
  readonly ticks?: { partitions: number; partitionOf: (key: string, n: number) => number; afterMs: number };
  readonly source?: string;
  /**
   * "Carrier bad afternoon": one carrier stops scanning at one warehouse for `hours` (default 3) from
   * `fromMs`. Its shipments there whose ship scan falls due in that time (90 min after the commitment) get
   * it hours late (after the stop) or never, so they raise late_scan. Everything else, and the random
   * draws, stay as without it: the same seed gives the same other events.
   */
  readonly badAfternoon?: {
    readonly carrierId: string;
    readonly warehouseId: string;
    readonly fromMs: number;
    readonly hours?: number;
  };
}

const HOUR = 3_600_000;
const MIN = 60_000;

/** The shared seeded PRNG, under the name the fault tests use. */
export const mulberry32 = seededRandom;

export function generateScenario(opts: ScenarioOptions): CanonicalEvent[] {
  const rand = mulberry32(opts.seed ?? 7);
  const start = opts.startMs ?? Date.parse('2026-03-02T00:00:00Z');
  const spacing = opts.spacingMs ?? 20_000;
  const src = opts.source ?? 'scenario';
  const iso = (ms: number) => new Date(ms).toISOString();
  const tiers = ['tier1', 'tier2', 'tier3'] as const;
  const customers = Array.from({ length: 12 }, (_, i) => ({ id: `C${i}`, tier: tiers[i % 3] ?? 'tier2' }));
  const warehouses = ['WH-A', 'WH-B', 'WH-C', 'WH-D'];
  const carriers = ['CARR-1', 'CARR-2', 'CARR-3'];
  const events: CanonicalEvent[] = [];
  const bad = opts.badAfternoon;
  const badEnd = bad ? bad.fromMs + (bad.hours ?? 3) * HOUR : 0;
  /** The scan the bad afternoon leaves: alternately never, or hours after the carrier scans again. */
  const stalledScan = (
    i: number,
    wh: string,
    carrier: string | undefined,
    dueAt: number,
    planned?: number,
  ) => {
    if (!bad || planned === undefined || carrier !== bad.carrierId || wh !== bad.warehouseId) return planned;
    if (dueAt < bad.fromMs || dueAt >= badEnd) return planned;
    return i % 2 === 0 ? undefined : badEnd + 4 * HOUR;
  };
  const at = (ms: number) => ({ occurredAt: iso(ms), source: src, schemaVersion: 1 as const });
  let load: { id: string; shipments: string[]; t: number } | undefined;
  const flushLoad = () => {
    if (!load) return;
    const carrier = carriers[Math.floor(rand() * carriers.length)] ?? 'CARR-1';
    const r = rand();
    const tenderAt = load.t;
    events.push({
      id: `${load.id}:tender:1`,
      type: 'tms.tender',
      ...at(tenderAt),
      loadId: load.id,
      carrierId: carrier,
      shipmentIds: load.shipments,
    });
    if (r < 0.75) {
      events.push({
        id: `${load.id}:resp:1`,
        type: 'tms.tender_response',
        ...at(tenderAt + 40 * MIN),
        loadId: load.id,
        carrierId: carrier,
        accepted: true,
      });
    } else if (r < 0.9) {
      events.push({
        id: `${load.id}:resp:1`,
        type: 'tms.tender_response',
        ...at(tenderAt + 20 * MIN),
        loadId: load.id,
        carrierId: carrier,
        accepted: false,
        reason: 'no capacity',
      });
      const other = carriers.find((c) => c !== carrier) ?? 'CARR-2';
      events.push({
        id: `${load.id}:tender:2`,
        type: 'tms.tender',
        ...at(tenderAt + 30 * MIN),
        loadId: load.id,
        carrierId: other,
        shipmentIds: load.shipments,
      });
      events.push({
        id: `${load.id}:resp:2`,
        type: 'tms.tender_response',
        ...at(tenderAt + 70 * MIN),
        loadId: load.id,
        carrierId: other,
        accepted: true,
      });
    } else if (r < 0.95) {
      // never answered
    } else {
      events.push({
        id: `${load.id}:resp:1`,
        type: 'tms.tender_response',
        ...at(tenderAt + 5 * HOUR),
        loadId: load.id,
        carrierId: carrier,
        accepted: true,
      });
    }
    load = undefined;
  };

  for (let i = 0; i < opts.shipments; i++) {
    const t0 = start + i * spacing;
    const sid = `S${String(i).padStart(7, '0')}`;
    const spiky = rand() < 0.15;
    const cust = spiky
      ? { id: 'C-SPIKY', tier: 'tier1' as const }
      : (customers[Math.floor(rand() * customers.length)] ?? { id: 'C0', tier: 'tier2' as const });
    const wh = warehouses[Math.floor(rand() * warehouses.length)] ?? 'WH-A';
    const carrier = rand() < 0.6 ? carriers[Math.floor(rand() * carriers.length)] : undefined;
    const shipBy = t0 + 2 * HOUR;
    const deliverBy = t0 + 3 * 24 * HOUR;
    const lines = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, k) => ({
      sku: `SKU-${(i * 7 + k) % 50}`,
      qty: 2 + Math.floor(rand() * 20),
    }));
    events.push({
      id: `${sid}:commit`,
      type: 'shipment.committed',
      ...at(t0),
      shipmentId: sid,
      customerId: cust.id,
      customerTier: cust.tier,
      warehouseId: wh,
      lane: `${wh}>R${i % 5}`,
      promisedShipBy: iso(shipBy),
      promisedDeliverBy: iso(deliverBy),
      lines,
      ...(carrier ? { carrierId: carrier } : {}),
    });
    if (rand() < 0.03) {
      events.push({
        id: `${sid}:cancel`,
        type: 'shipment.cancelled',
        ...at(t0 + 30 * MIN),
        shipmentId: sid,
        reason: 'customer request',
      });
      continue;
    }
    const wmsFeed = rand() < 0.9;
    if (wmsFeed) {
      lines.forEach((l, k) => {
        const short = rand() < 0.05;
        events.push({
          id: `${sid}:pick:${k}`,
          type: 'wms.pick',
          ...at(t0 + 20 * MIN + k * MIN),
          shipmentId: sid,
          warehouseId: wh,
          sku: l.sku,
          qtyOrdered: l.qty,
          qtyPicked: short ? Math.floor(l.qty / 3) : l.qty,
        });
      });
      events.push({
        id: `${sid}:pack`,
        type: 'wms.pack',
        ...at(t0 + HOUR),
        shipmentId: sid,
        warehouseId: wh,
      });
    }
    const r = rand();
    // WH-D's scanners miss a fifth of its shipments: scan_coverage_low fires there.
    const missed = wh === 'WH-D' && rand() < 0.2;
    const planned = missed ? undefined : r < 0.85 ? t0 + 90 * MIN : r < 0.93 ? t0 + 5 * HOUR : undefined;
    const scanned = stalledScan(i, wh, carrier, t0 + 90 * MIN, planned);
    if (scanned !== undefined)
      events.push({
        id: `${sid}:scan`,
        type: 'wms.ship_scan',
        ...at(scanned),
        shipmentId: sid,
        warehouseId: wh,
      });
    if (!load) load = { id: `L${i}`, shipments: [], t: t0 + 30 * MIN };
    load.shipments.push(sid);
    if (load.shipments.length >= 4) flushLoad();
    // The carrier's own statuses follow the planned hand-over (and keep the random draws in step).
    const scanAt = planned;
    if (scanAt === undefined) continue;
    const status = (
      k: string,
      ms: number,
      s: 'picked_up' | 'departed' | 'arrived' | 'out_for_delivery' | 'delivered' | 'delayed' | 'exception',
      extra: { eta?: string; code?: string } = {},
    ) =>
      events.push({
        id: `${sid}:st:${k}`,
        type: 'tms.status',
        ...at(ms),
        shipmentId: sid,
        status: s,
        ...extra,
      });
    if (carrier && rand() < 0.9) status('pu', scanAt + 30 * MIN, 'picked_up');
    const arrive = scanAt + 20 * HOUR;
    status('arr', arrive, 'arrived', { code: 'X1' });
    const longDwell = rand() < 0.08;
    status(
      'dep',
      arrive + (longDwell ? 6 * HOUR : HOUR),
      'departed',
      rand() < 0.06 ? { eta: iso(deliverBy + 20 * HOUR) } : {},
    );
    if (rand() < 0.05) status('dly', arrive + 2 * HOUR, 'delayed', { code: 'AG' });
    const late = rand() < 0.15;
    const deliveredAt = late ? deliverBy + 26 * HOUR : t0 + 2 * 24 * HOUR;
    status('dlv', deliveredAt, 'delivered');
    if (rand() < 0.9)
      events.push({ id: `${sid}:pod`, type: 'tms.pod', ...at(deliveredAt + 2 * HOUR), shipmentId: sid });
    if (cust.id === 'C-SPIKY' || rand() < 0.02) {
      events.push({
        id: `${sid}:wismo`,
        type: 'crm.contact',
        ...at(t0 + 30 * HOUR),
        customerId: cust.id,
        reason: 'wismo',
        ...(rand() < 0.5 ? { shipmentId: sid } : {}),
      });
    }
    if (i % 25 === 0) {
      const system = 50 + Math.floor(rand() * 50);
      const counted = rand() < 0.3 ? system - 7 : system + (rand() < 0.5 ? 1 : 0);
      events.push({
        id: `${wh}:count:${i}`,
        type: 'wms.cycle_count',
        ...at(t0 + 10 * MIN),
        warehouseId: wh,
        sku: `SKU-${i % 50}`,
        countedQty: counted,
        systemQty: system,
        location: `A-${i % 9}`,
      });
    }
  }
  flushLoad();
  events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || (a.id < b.id ? -1 : 1));
  if (opts.ticks) {
    const end = Date.parse(events[events.length - 1]?.occurredAt ?? iso(start)) + opts.ticks.afterMs;
    for (let p = 0; p < opts.ticks.partitions; p++) {
      let k = 0;
      while (opts.ticks.partitionOf(`shp:tick-${k}`, opts.ticks.partitions) !== p) k++;
      events.push({
        id: `tick-${p}`,
        type: 'shipment.cancelled',
        ...at(end),
        shipmentId: `tick-${k}`,
        reason: 'end-of-run watermark tick',
      });
    }
  }
  return events;
}

/** Reorders events so none arrives later than `latenessMs` behind the latest event time seen before it. */
export function shuffleWithinLateness<T extends { occurredAt: string }>(
  events: readonly T[],
  latenessMs: number,
  seed = 11,
): T[] {
  const rand = mulberry32(seed);
  return events
    .map((e) => ({ e, k: Date.parse(e.occurredAt) + rand() * latenessMs }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.e);
}

/** Duplicates a share of the events (same id, same content), each re-sent a little later. */
export function duplicateShare<T>(events: readonly T[], share: number, seed = 13): T[] {
  const rand = mulberry32(seed);
  const out: T[] = [];
  const pending: { at: number; e: T }[] = [];
  events.forEach((e, i) => {
    out.push(e);
    if (rand() < share) pending.push({ at: i + 1 + Math.floor(rand() * 20), e });
    for (let j = pending.length - 1; j >= 0; j--) {
      const p = pending[j];
      if (p && p.at <= i) {
        out.push(p.e);
        pending.splice(j, 1);
      }
    }
  });
  for (const p of pending) out.push(p.e);
  return out;
}
