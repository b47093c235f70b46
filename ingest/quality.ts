import type { FastifyInstance } from 'fastify';
import { type Metrics, parseRequest, queryRows, type Store } from '../core/mod.ts';
import { alertBudget, exportBudgetGauges } from './quality-budget.ts';
import { type FeedDeclarations, feedCounts, feedReports } from './quality-feeds.ts';
import { findingGroups } from './quality-findings.ts';
import { type QualityReply, sinceSchema } from './quality-schema.ts';

export interface SourceQuality {
  source: string;
  accepted: number;
  rejected: number;
  lagP50Seconds: number | null;
  lagP95Seconds: number | null;
}

export interface WarehouseCoverage {
  warehouseId: string;
  committed: number;
  scanned: number;
  coverage: number;
}

/** Per source: stored events, dead letters, and arrival lag (received − occurred: EDI timeliness). */
export async function sourceQuality(store: Store, sinceMs = 0): Promise<SourceQuality[]> {
  const params = { since: sinceMs / 1000 };
  const events = await queryRows<{ source: string; n: string; p50: number | null; p95: number | null }>(
    store,
    `SELECT source, count() AS n,
            quantile(0.5)(dateDiff('millisecond', occurred_at, received_at)) / 1000 AS p50,
            quantile(0.95)(dateDiff('millisecond', occurred_at, received_at)) / 1000 AS p95
     FROM ${store.table('events')} FINAL WHERE received_at >= fromUnixTimestamp64Milli(toInt64({since:Float64} * 1000)) GROUP BY source`,
    params,
  );
  const dead = await queryRows<{ source: string; n: string }>(
    store,
    `SELECT source, count() AS n FROM ${store.table('dead_letters')} FINAL
     WHERE received_at >= fromUnixTimestamp64Milli(toInt64({since:Float64} * 1000)) GROUP BY source`,
    params,
  );
  const bySource = new Map<string, SourceQuality>();
  const get = (source: string) => {
    let q = bySource.get(source);
    if (!q) {
      q = { source, accepted: 0, rejected: 0, lagP50Seconds: null, lagP95Seconds: null };
      bySource.set(source, q);
    }
    return q;
  };
  for (const r of events)
    Object.assign(get(r.source || '(unnamed)'), {
      accepted: Number(r.n),
      lagP50Seconds: r.p50,
      lagP95Seconds: r.p95,
    });
  for (const r of dead) get(r.source).rejected = Number(r.n);
  return [...bySource.values()].sort((a, b) => a.source.localeCompare(b.source));
}

/**
 * Scan coverage per warehouse: the share of committed shipments with at least one WMS scan (pick, pack or
 * ship scan). The policy's `systems.wms.required_scan_coverage_min` (0.85) is the gate.
 */
export async function scanCoverage(store: Store): Promise<WarehouseCoverage[]> {
  const t = store.table('events');
  const rows = await queryRows<{ warehouseId: string; committed: string; scanned: string }>(
    store,
    `SELECT c.warehouse_id AS warehouseId, count() AS committed, countIf(s.shipment_id != '') AS scanned
     FROM (SELECT DISTINCT shipment_id, warehouse_id FROM ${t} FINAL WHERE type = 'shipment.committed') AS c
     LEFT JOIN (SELECT DISTINCT shipment_id FROM ${t} FINAL WHERE type IN ('wms.pick', 'wms.pack', 'wms.ship_scan')) AS s
       ON c.shipment_id = s.shipment_id
     GROUP BY warehouseId ORDER BY warehouseId`,
  );
  return rows.map((r) => {
    const committed = Number(r.committed);
    const scanned = Number(r.scanned);
    return { warehouseId: r.warehouseId, committed, scanned, coverage: committed ? scanned / committed : 1 };
  });
}

/**
 * `GET /api/quality`: per source, stored events, dead letters and arrival lag; scan coverage per warehouse;
 * data-quality findings per source and code; what each feed sends (and whether missing_pod applies to it);
 * the alert budget. Refreshes the scan-coverage gauges, and makes /metrics export the alert budget
 * (computed on collection, at most every 30 s; quality-budget.ts).
 */
export function registerQualityRoutes(
  app: FastifyInstance,
  deps: {
    store: Store;
    metrics: Metrics;
    /** The policy's feed names (systems.wms.event_stream, systems.tms.event_stream): label those sources. */
    systems?: () => { readonly wms?: string | undefined; readonly tms?: string | undefined };
    /** Declared feed capabilities and when learning decides (config `feeds`). */
    feeds: FeedDeclarations;
  },
): void {
  const gauges = exportBudgetGauges({
    store: deps.store,
    metrics: deps.metrics,
    warn: (err) => app.log.warn({ err }, 'alert budget refresh for /metrics failed'),
  });
  app.get('/api/quality', async (req): Promise<QualityReply> => {
    const parsed = parseRequest(sinceSchema, req.query);
    const since = parsed.since ? Date.parse(parsed.since) : undefined;
    const [sources, coverage, findings, feeds, budget] = await Promise.all([
      sourceQuality(deps.store, since),
      scanCoverage(deps.store),
      findingGroups(deps.store, since),
      feedCounts(deps.store),
      alertBudget(deps.store, since),
    ]);
    for (const c of coverage) deps.metrics.scanCoverage.set({ warehouse: c.warehouseId }, c.coverage);
    // The gauges hold the default window; an answer for another window leaves them as they are.
    if (since === undefined) gauges.fresh(budget);
    const systems = deps.systems?.() ?? {};
    const systemOf = (source: string) =>
      source === systems.wms ? 'wms' : source === systems.tms ? 'tms' : null;
    return {
      sources: sources.map((s) => ({ ...s, system: systemOf(s.source) })),
      scanCoverage: coverage,
      findings,
      feeds: feedReports(feeds, deps.feeds),
      alertBudget: {
        window: budget.window,
        bySource: budget.bySource.map(({ subject, ...r }) => ({ source: subject, ...r })),
        byWarehouse: budget.byWarehouse.map(({ subject, ...r }) => ({ warehouse: subject, ...r })),
      },
    };
  });
}
