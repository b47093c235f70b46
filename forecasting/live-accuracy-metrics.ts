import { Gauge, type Registry } from 'prom-client';
import type { Logger, Store } from '../core/mod.ts';
import { type LiveAccuracy, liveAccuracy } from './live-accuracy.ts';
import type { Measure } from './store.ts';

/**
 * Live forecast accuracy in /metrics, computed from ClickHouse when scraped (at most once per `cacheMs`:
 * the score moves at day boundaries, a scrape every few seconds need not re-read it):
 *   dockside_forecast_live_mape{lane,warehouse}, dockside_forecast_live_wape{lane,warehouse}
 *     for the `maxLanes` lanes with the most actual volume in the window (label cardinality stays bounded);
 *   dockside_forecast_live_network_mape (median of the lanes' MAPE: the forecast_mape KPI),
 *   dockside_forecast_live_network_wape (pooled over all lanes), dockside_forecast_live_lanes.
 * No live score (nothing stored yet): the gauges are absent, not zero.
 */
export interface LiveAccuracyMetricsDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly measure?: Measure;
  readonly maxLanes?: number;
  readonly cacheMs?: number;
  readonly now?: () => number;
}

export const LIVE_METRIC_MAX_LANES = 50;

export function registerLiveAccuracyMetrics(registry: Registry, deps: LiveAccuracyMetricsDeps): void {
  const measure = deps.measure ?? 'committed';
  const now = deps.now ?? Date.now;
  const cacheMs = deps.cacheMs ?? 60_000;
  const maxLanes = deps.maxLanes ?? LIVE_METRIC_MAX_LANES;
  let cached: { at: number; live: Promise<LiveAccuracy | undefined> } | undefined;
  const current = (): Promise<LiveAccuracy | undefined> => {
    const t = now();
    if (!cached || t - cached.at >= cacheMs) {
      const live = liveAccuracy(deps.store, { measure, nowMs: t }).catch((err: unknown) => {
        deps.logger.warn({ err }, 'live forecast accuracy could not be read for /metrics');
        cached = undefined;
        return undefined;
      });
      cached = { at: t, live };
    }
    return cached.live;
  };
  // Every gauge refreshes from the same cached score when collected (prom-client awaits each one's hook).
  const refresh = async (): Promise<void> => {
    const live = await current();
    for (const g of [laneMape, laneWape, networkMape, networkWape, lanes]) g.reset();
    if (!live) return;
    const top = [...live.lanes]
      .sort((a, b) => b.actual - a.actual || (a.lane < b.lane ? -1 : 1))
      .slice(0, maxLanes);
    for (const l of top) {
      const labels = { lane: l.lane, warehouse: l.warehouse };
      if (l.mape !== null) laneMape.set(labels, l.mape);
      if (l.wape !== null) laneWape.set(labels, l.wape);
    }
    if (live.network.mape !== null) networkMape.set(live.network.mape);
    if (live.network.wape !== null) networkWape.set(live.network.wape);
    lanes.set(live.lanes.length);
  };
  const labelNames = ['lane', 'warehouse'] as const;
  const common = { registers: [registry], collect: refresh };
  const laneMape = new Gauge({
    name: 'dockside_forecast_live_mape',
    help: `Live MAPE of the served forecast per lane (forecasts 1-7 days ahead, last 28 complete days), the ${maxLanes} lanes with the most volume`,
    labelNames,
    ...common,
  });
  const laneWape = new Gauge({
    name: 'dockside_forecast_live_wape',
    help: 'Live WAPE of the served forecast per lane (same lanes, lead and window as dockside_forecast_live_mape)',
    labelNames,
    ...common,
  });
  const networkMape = new Gauge({
    name: 'dockside_forecast_live_network_mape',
    help: "Median over lanes of the live MAPE (the forecast_mape KPI; the policy's threshold is dockside_kpi_threshold)",
    ...common,
  });
  const networkWape = new Gauge({
    name: 'dockside_forecast_live_network_wape',
    help: 'Live WAPE pooled over every lane (volume-weighted)',
    ...common,
  });
  const lanes = new Gauge({
    name: 'dockside_forecast_live_lanes',
    help: 'Lanes with a live accuracy score',
    ...common,
  });
}
