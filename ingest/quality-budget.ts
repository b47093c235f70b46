import { fromChTime, type Metrics, queryRows, type Store } from '../core/mod.ts';

/**
 * The alert budget: exceptions per 100 shipments per type, by source (the source of the exception's
 * shipment's commitment) and by warehouse (the exception's), over a window of exception occurredAt, with
 * the committed shipments beside: distinct shipments whose first commitment occurred in the same window.
 */

export const DAY_MS = 86_400_000;
/** Without `since`: the 7 days up to the latest exception occurredAt (replayed history has a window too). */
export const BUDGET_DEFAULT_DAYS = 7;
/** Sources or warehouses exported in /metrics, each kind: the largest by shipments; the rest are one `(other)`. */
export const BUDGET_GAUGE_SUBJECTS = 20;
/** /metrics answers from a budget at most this old (the metric sampler collects every 10 s). */
export const BUDGET_REFRESH_MS = 30_000;

export interface BudgetRow {
  readonly type: string;
  /** The source or warehouse; `(none)` when the exception has no committed shipment (or no warehouse). */
  readonly subject: string;
  readonly exceptions: number;
  /** Committed shipments of the subject in the window. */
  readonly shipments: number;
  /** Exceptions per 100 of those shipments; null without any. */
  readonly per100: number | null;
}

export interface AlertBudget {
  /** Inclusive bounds on exception occurredAt (and commitment time); `to` null: open. Both null: no exceptions. */
  readonly window: { readonly from: string | null; readonly to: string | null };
  readonly bySource: readonly BudgetRow[];
  readonly byWarehouse: readonly BudgetRow[];
}

export interface BudgetCounts {
  /** Exceptions per type and subject. */
  readonly exceptions: readonly { readonly type: string; readonly subject: string; readonly n: number }[];
  /** Committed shipments per subject. */
  readonly shipments: readonly { readonly subject: string; readonly n: number }[];
}

const none = (s: string) => s || '(none)';

/** Rows with their rates, highest rate first (then most exceptions, type, subject). Pure. */
export function budgetRows(counts: BudgetCounts): BudgetRow[] {
  const shipments = new Map<string, number>();
  for (const s of counts.shipments)
    shipments.set(none(s.subject), (shipments.get(none(s.subject)) ?? 0) + s.n);
  return counts.exceptions
    .map((e) => {
      const subject = none(e.subject);
      const n = shipments.get(subject) ?? 0;
      return { type: e.type, subject, exceptions: e.n, shipments: n, per100: n > 0 ? (100 * e.n) / n : null };
    })
    .sort(
      (a, b) =>
        (b.per100 ?? -1) - (a.per100 ?? -1) ||
        b.exceptions - a.exceptions ||
        a.type.localeCompare(b.type) ||
        a.subject.localeCompare(b.subject),
    );
}

/**
 * The gauge series of one kind: the `cap` subjects with the most shipments as they are, every other one
 * summed into `(other)` per type, so the label set stays bounded however many sources or warehouses feed in.
 * Rows without shipments (no rate) are left out. Pure.
 */
export function gaugeSeries(
  rows: readonly BudgetRow[],
  cap = BUDGET_GAUGE_SUBJECTS,
): { type: string; subject: string; value: number }[] {
  const shipments = new Map<string, number>();
  for (const r of rows) if (r.shipments > 0) shipments.set(r.subject, r.shipments);
  const kept = new Set(
    [...shipments.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, cap)
      .map(([s]) => s),
  );
  const out = new Map<string, { type: string; subject: string; value: number }>();
  const other = new Map<string, { exceptions: number; subjects: Set<string> }>();
  for (const r of rows) {
    if (r.per100 === null) continue;
    if (kept.has(r.subject))
      out.set(`${r.type}\u0000${r.subject}`, { type: r.type, subject: r.subject, value: r.per100 });
    else {
      const o = other.get(r.type) ?? { exceptions: 0, subjects: new Set<string>() };
      o.exceptions += r.exceptions;
      o.subjects.add(r.subject);
      other.set(r.type, o);
    }
  }
  for (const [type, o] of other) {
    const n = [...o.subjects].reduce((sum, s) => sum + (shipments.get(s) ?? 0), 0);
    out.set(`${type}\u0000(other)`, { type, subject: '(other)', value: (100 * o.exceptions) / n });
  }
  return [...out.values()];
}

type Bounds = { fromMs: number; toMs: number | null };

/** `since` given: from it on; otherwise the default days up to the latest exception (null: none stored). */
async function windowOf(store: Store, sinceMs: number | undefined): Promise<Bounds | null> {
  if (sinceMs !== undefined) return { fromMs: sinceMs, toMs: null };
  const [r] = await queryRows<{ n: string; last: string }>(
    store,
    `SELECT count() AS n, max(occurred_at) AS last FROM ${store.table('exceptions')} FINAL`,
  );
  if (!r || Number(r.n) === 0) return null;
  const toMs = fromChTime(r.last);
  return { fromMs: toMs - BUDGET_DEFAULT_DAYS * DAY_MS, toMs };
}

const within = (column: string, b: Bounds) =>
  `${column} >= fromUnixTimestamp64Milli({from:Int64})` +
  (b.toMs === null ? '' : ` AND ${column} <= fromUnixTimestamp64Milli({to:Int64})`);

async function countsBy(store: Store, b: Bounds, by: 'source' | 'warehouse'): Promise<BudgetCounts> {
  const ev = store.table('events');
  const params = { from: Math.floor(b.fromMs), to: Math.floor(b.toMs ?? 0) };
  // Each shipment once: its first commitment (the source that committed it, the warehouse it ships from).
  const commits = `SELECT shipment_id, argMin(source, (occurred_at, id)) AS source,
      argMin(warehouse_id, (occurred_at, id)) AS warehouse, min(occurred_at) AS at
    FROM ${ev} FINAL WHERE type = 'shipment.committed' GROUP BY shipment_id`;
  const exceptions = `SELECT type, shipment_id, warehouse_id FROM ${store.table('exceptions')} FINAL
    WHERE ${within('occurred_at', b)}`;
  const exceptionRows =
    by === 'source'
      ? `SELECT x.type AS type, c.source AS subject, count() AS n FROM (${exceptions}) AS x
         LEFT JOIN (${commits}) AS c ON x.shipment_id = c.shipment_id GROUP BY type, subject`
      : `SELECT type, warehouse_id AS subject, count() AS n FROM (${exceptions}) GROUP BY type, subject`;
  const [ex, sh] = await Promise.all([
    queryRows<{ type: string; subject: string; n: string }>(store, exceptionRows, params),
    queryRows<{ subject: string; n: string }>(
      store,
      `SELECT ${by} AS subject, count() AS n FROM (${commits}) WHERE ${within('at', b)} GROUP BY subject`,
      params,
    ),
  ]);
  return {
    exceptions: ex.map((r) => ({ type: r.type, subject: r.subject, n: Number(r.n) })),
    shipments: sh.map((r) => ({ subject: r.subject, n: Number(r.n) })),
  };
}

/** The alert budget over `since` onwards, or the default window. */
export async function alertBudget(store: Store, sinceMs?: number): Promise<AlertBudget> {
  const b = await windowOf(store, sinceMs);
  if (!b) return { window: { from: null, to: null }, bySource: [], byWarehouse: [] };
  const [source, warehouse] = await Promise.all([
    countsBy(store, b, 'source'),
    countsBy(store, b, 'warehouse'),
  ]);
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    window: { from: iso(b.fromMs), to: b.toMs === null ? null : iso(b.toMs) },
    bySource: budgetRows(source),
    byWarehouse: budgetRows(warehouse),
  };
}

/** Sets `dockside_exceptions_per_100_shipments` to a default-window budget (stale series dropped). */
export function setBudgetGauges(metrics: Pick<Metrics, 'exceptionsPer100'>, budget: AlertBudget): void {
  const g = metrics.exceptionsPer100;
  g.reset();
  for (const s of gaugeSeries(budget.bySource)) g.set({ type: s.type, source: s.subject }, s.value);
  for (const s of gaugeSeries(budget.byWarehouse)) g.set({ type: s.type, warehouse: s.subject }, s.value);
}

/**
 * Makes every /metrics scrape (and metric sample) answer the default-window budget, computed at most every
 * `maxAgeMs` (concurrent collections share one computation); a failed refresh keeps the last values and
 * is logged.
 * Returns `fresh`, for a caller that computed the budget itself (GET /api/quality) to set it.
 */
export function exportBudgetGauges(deps: {
  store: Store;
  metrics: Pick<Metrics, 'exceptionsPer100' | 'onCollect'>;
  warn: (err: unknown) => void;
  maxAgeMs?: number;
  now?: () => number;
}): { fresh(budget: AlertBudget): void } {
  const now = deps.now ?? Date.now;
  const maxAge = deps.maxAgeMs ?? BUDGET_REFRESH_MS;
  let at = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  const fresh = (budget: AlertBudget) => {
    setBudgetGauges(deps.metrics, budget);
    at = now();
  };
  deps.metrics.onCollect.alertBudget = () => {
    if (now() - at < maxAge) return Promise.resolve();
    running ??= alertBudget(deps.store)
      .then(fresh, (err: unknown) => {
        // Not again before maxAge either: a ClickHouse outage is not asked once per scrape.
        at = now();
        deps.warn(err);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  return { fresh };
}
