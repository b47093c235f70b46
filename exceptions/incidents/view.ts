import { z } from 'zod';
import {
  chTime,
  customerTiers,
  type DetectedException,
  exceptionStatuses,
  fromChTime,
  queryRows,
  type Store,
  severities,
} from '../../core/mod.ts';
import { computeIncidents, type IncidentSnapshot } from './compute.ts';
import type { IncidentMember } from './group.ts';
import { type IncidentOptions, windowStartMs } from './options.ts';
import type { Incident } from './schema.ts';

/** The columns grouping reads (not evidence or details), as ClickHouse answers them. */
const memberRow = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(exceptionStatuses),
  severity: z.enum(severities),
  occurred_at: z.string(),
  version: z.coerce.number(),
  warehouse_id: z.string(),
  carrier_id: z.string(),
  lane: z.string(),
  customer_id: z.string(),
  customer_tier: z.union([z.enum(customerTiers), z.literal('')]),
});

function memberOf(row: unknown): IncidentMember {
  const r = memberRow.parse(row);
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    severity: r.severity,
    occurredAt: new Date(fromChTime(r.occurred_at)).toISOString(),
    version: r.version,
    ...(r.warehouse_id ? { warehouseId: r.warehouse_id } : {}),
    ...(r.carrier_id ? { carrierId: r.carrier_id } : {}),
    ...(r.lane ? { lane: r.lane } : {}),
    ...(r.customer_id ? { customerId: r.customer_id } : {}),
    ...(r.customer_tier ? { customerTier: r.customer_tier } : {}),
  };
}

/** Exception states in the window (ClickHouse `exceptions` FINAL): see options.ts windowStartMs. */
export async function readWindow(store: Store, windowDays: number, nowMs: number): Promise<IncidentMember[]> {
  const table = store.table('exceptions');
  // occurred_at never changes for an id (it is part of the id), so no FINAL is needed for the bound.
  const [edge] = await queryRows<{ n: string; latest: string }>(
    store,
    `SELECT count() AS n, max(occurred_at) AS latest FROM ${table}`,
  );
  if (!edge || Number(edge.n) === 0) return [];
  const fromMs = windowStartMs(fromChTime(edge.latest), windowDays, nowMs);
  const rows = await queryRows<unknown>(
    store,
    `SELECT id, type, status, severity, occurred_at, version, warehouse_id, carrier_id, lane, customer_id,
       customer_tier FROM ${table} FINAL WHERE occurred_at >= toDateTime64({from:String}, 3, 'UTC')`,
    { from: chTime(fromMs) },
  );
  return rows.map(memberOf);
}

export interface IncidentViewDeps {
  readonly store: Store;
  readonly options: IncidentOptions;
  /** At most one recomputation this often (ms). Default 1000. */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}

/** How long a state a person made here overrides the stored copy while ClickHouse catches up. */
const OVERLAY_MS = 60_000;

/**
 * The live incidents: the store's exception states in the window, grouped (computeIncidents). Cached, and
 * recomputed at most once per `minIntervalMs` — on a read once the cache is older than that, or on the first
 * read after `changed()` (the exception sink calls it once a state is stored, so the next read includes it).
 * Concurrent readers share one computation. States published by an incident action are overlaid until
 * ClickHouse holds them (or a minute passed), so the incident shows its members' new status at once.
 */
export class IncidentView {
  private cache: { snapshot: IncidentSnapshot; seq: number; at: number } | undefined;
  private running: { promise: Promise<IncidentSnapshot>; seq: number | undefined } | undefined;
  private changes = 0;
  private lastStart = Number.NEGATIVE_INFINITY;
  private readonly overlay = new Map<string, { state: DetectedException; until: number }>();
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly memberIndex = new WeakMap<IncidentSnapshot, Map<string, Incident>>();

  constructor(private readonly deps: IncidentViewDeps) {
    this.minIntervalMs = deps.minIntervalMs ?? 1_000;
    this.now = deps.now ?? Date.now;
  }

  /** A new exception state was stored: the next read recomputes. */
  changed(): void {
    this.changes++;
  }

  /** States just published here (an incident's assign/resolve): shown before ClickHouse has them. */
  apply(states: readonly DetectedException[]): void {
    const until = this.now() + OVERLAY_MS;
    for (const state of states) {
      const prev = this.overlay.get(state.id);
      if (!prev || prev.state.version < state.version) this.overlay.set(state.id, { state, until });
    }
    this.changed();
  }

  /** The latest state of a member as this view knows it (the overlay over `stored`). */
  latest(stored: DetectedException): DetectedException {
    const o = this.overlay.get(stored.id);
    return o && o.state.version > stored.version ? o.state : stored;
  }

  /** The incident an exception is a member of now (write-back folds notices per incident with it). */
  async incidentOf(exceptionId: string): Promise<Incident | undefined> {
    const snapshot = await this.current();
    let index = this.memberIndex.get(snapshot);
    if (!index) {
      index = new Map();
      for (const i of snapshot.incidents) for (const id of i.memberIds) index.set(id, i);
      this.memberIndex.set(snapshot, index);
    }
    return index.get(exceptionId);
  }

  async current(): Promise<IncidentSnapshot> {
    const c = this.cache;
    if (c && c.seq === this.changes && this.now() - c.at < this.minIntervalMs) return c.snapshot;
    // Join a computation that has not started yet (it will see every change) or that started after the last one.
    const r = this.running;
    if (r && (r.seq === undefined || r.seq === this.changes)) return r.promise;
    const run = { seq: undefined } as { promise: Promise<IncidentSnapshot>; seq: number | undefined };
    run.promise = this.compute(run).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run.promise;
  }

  private async compute(run: { seq: number | undefined }): Promise<IncidentSnapshot> {
    const wait = this.lastStart + this.minIntervalMs - this.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    run.seq = this.changes;
    const at = this.now();
    this.lastStart = at;
    const stored = await readWindow(this.deps.store, this.deps.options.windowDays, at);
    const snapshot = computeIncidents(this.overlaid(stored, at), this.deps.options, at);
    this.cache = { snapshot, seq: run.seq, at };
    return snapshot;
  }

  private overlaid(stored: IncidentMember[], nowMs: number): IncidentMember[] {
    if (this.overlay.size === 0) return stored;
    const out = stored.map((m) => {
      const o = this.overlay.get(m.id);
      if (!o) return m;
      if (o.state.version > m.version && o.until > nowMs) return o.state;
      this.overlay.delete(m.id);
      return m;
    });
    for (const [id, o] of this.overlay) if (o.until <= nowMs) this.overlay.delete(id);
    return out;
  }
}
