import type { FastifyInstance } from 'fastify';
import type { Policy, Store } from '../core/mod.ts';
import { DEFAULT_RUN_OPTIONS, liveAccuracy, liveScope } from '../forecasting/mod.ts';
import {
  addBuckets,
  type Direction,
  finite,
  HOUR_MS,
  histogramQuantile,
  hourlyBuckets,
  isCrossed,
  type KpiUnit,
  type KpiView,
  type KpiWindow,
  kpiWindow,
  mapeAsOf,
  observations,
  sparkline,
  WINDOW_HOURS,
} from './kpi-math.ts';
import {
  cycleTimes,
  type Hourly,
  histogramSamples,
  loadCapacity,
  servedBacktests,
  wismoCounts,
} from './kpi-queries.ts';

/**
 * `GET /api/kpis`: the KPI strip. The policy's telemetry KPIs (in the policy's order) and the exception
 * handling SLOs, each against its threshold, with hourly points of the last 24 h. A value is null, with a
 * reason, when the data behind it is not there; nothing is estimated.
 */
export interface KpiDeps {
  readonly store: Store;
  /** The policy in force (a PolicyHolder: hot-reloaded, so read on every request). */
  readonly policy: { current(): { readonly policy: Policy } };
  readonly now?: () => number;
}

export interface KpiAnswer {
  /** When the figures were computed, RFC 3339. */
  readonly at: string;
  readonly windowHours: number;
  readonly kpis: readonly KpiView[];
}

interface Figure {
  readonly value: number | null;
  readonly byHour: ReadonlyMap<number, number | null>;
  readonly reason?: string;
  readonly detail?: string;
}

interface Spec {
  readonly label: string;
  readonly unit: KpiUnit;
  readonly direction: Direction;
  readonly compute: (store: Store, w: KpiWindow) => Promise<Figure>;
}

const none = (reason: string): Figure => ({ value: null, byHour: new Map(), reason });
const mapHours = <T>(h: Hourly<T>, f: (x: T) => number | null) =>
  new Map([...h.byHour].map(([k, v]) => [k, f(v)]));
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const DAY_MS = 24 * HOUR_MS;
const round = (v: number | null, digits = 2) => (v === null ? null : Number(v.toFixed(digits)));

async function wismo(store: Store, w: KpiWindow): Promise<Figure> {
  const r = await wismoCounts(store, w);
  const rate = (c: { orders: number; contacts: number }) =>
    c.orders > 0 ? round((c.contacts / c.orders) * 100) : null;
  if (!r || r.total.orders === 0) {
    return none('no shipped order (wms.ship_scan) in the last 24 h: nothing to divide by');
  }
  return {
    value: rate(r.total),
    byHour: mapHours(r, rate),
    detail: `${plural(r.total.contacts, 'WISMO contact')} / ${plural(r.total.orders, 'shipped order')}, last 24 h`,
  };
}

async function truckUtilization(store: Store, w: KpiWindow): Promise<Figure> {
  const r = await loadCapacity(store, w);
  const pct = (c: { used: number; available: number; measured: number }) =>
    c.measured > 0 && c.available > 0 ? round((c.used / c.available) * 100, 1) : null;
  if (!r || r.total.loads === 0) {
    return none('no load tendered (tms.tender) in the last 24 h');
  }
  if (r.total.measured === 0) {
    return none(
      `none of the ${plural(r.total.loads, 'load')} tendered in the last 24 h carries its capacity (tms.tender capacityUsed and capacityAvailable, or capacity with the shipments' units)`,
    );
  }
  return {
    value: pct(r.total),
    byHour: mapHours(r, pct),
    detail: `used / available capacity (or shipments' units / truck capacity) of ${r.total.measured} of ${r.total.loads} loads tendered, last 24 h`,
  };
}

/**
 * The live score of stored forecasts against their actuals (forecasting/live-accuracy.ts) when there is
 * one; else the latest backtests, and `detail` says which. The live score moves at day boundaries only:
 * each hour shows the score as of its day.
 */
async function forecastMape(store: Store, w: KpiWindow): Promise<Figure> {
  const measure = DEFAULT_RUN_OPTIONS.measure;
  const live = await liveAccuracy(store, { measure, nowMs: w.toMs });
  if (live && live.network.mape !== null) {
    const days = new Map<number, number | null>();
    for (const h of w.hours) {
      const day = Math.floor(h / DAY_MS);
      if (days.has(day)) continue;
      const then =
        day === Math.floor(w.toMs / DAY_MS) ? live : await liveAccuracy(store, { measure, nowMs: h });
      days.set(day, round(then?.network.mape ?? null, 4));
    }
    const wapeText = live.network.wape === null ? '' : `; WAPE ${(live.network.wape * 100).toFixed(1)}%`;
    return {
      value: round(live.network.mape, 4),
      byHour: new Map(w.hours.map((h, i) => [i, days.get(Math.floor(h / DAY_MS)) ?? null])),
      detail: `live: median over ${live.network.mapeLanes} lanes of MAPE, ${liveScope(live)}${wapeText}`,
    };
  }
  const rows = await servedBacktests(store, w, measure);
  if (rows.length === 0) return none('no forecast backtest stored yet (forecast runs store one per lane)');
  const now = mapeAsOf(rows, w.toMs + 1);
  const byHour = new Map(
    w.hours.map((h, i) => [i, round(mapeAsOf(rows, Math.min(h + HOUR_MS, w.toMs + 1)).value, 4)]),
  );
  if (now.value === null) {
    return {
      ...none('MAPE is undefined on every lane (all actuals zero): see WAPE on the forecast desk'),
      byHour,
    };
  }
  return {
    value: round(now.value, 4),
    byHour,
    detail: `backtest: median over ${now.lanes} lanes of the latest backtest (no live score: ${live ? 'every scored actual is zero' : 'no served forecast for a complete day of the last 28'})`,
  };
}

const cycle = (to: 'assigned' | 'resolved') => async (store: Store, w: KpiWindow) => {
  const r = await cycleTimes(store, w, to);
  if (!r || r.total.n === 0) {
    return none(
      to === 'assigned'
        ? 'no exception assigned in the last 24 h'
        : 'no assigned exception resolved in the last 24 h',
    );
  }
  return {
    value: round(r.total.minutes),
    byHour: mapHours(r, (c) => round(c.minutes)),
    detail: `median of ${plural(r.total.n, 'exception')} ${to} in the last 24 h`,
  };
};

const latencyP95 = (histogram: string, what: string) => async (store: Store, w: KpiWindow) => {
  const hours = hourlyBuckets(await histogramSamples(store, w, histogram), WINDOW_HOURS);
  const all = addBuckets(hours);
  const n = observations(all);
  if (n === 0) return none(`no ${what} measured in the last 24 h (${histogram})`);
  const p95 = (b: (typeof hours)[number]) => {
    const q = histogramQuantile(0.95, b);
    return q === null ? null : round(q, 4);
  };
  return {
    value: p95(all),
    byHour: new Map(hours.map((b, i) => [i, p95(b)])),
    detail: `p95 of ${plural(n, what)} in the last 24 h (histogram estimate)`,
  };
};

const telemetry: ReadonlyMap<string, Spec> = new Map(
  Object.entries({
    wismo_per_100_orders: {
      label: 'WISMO per 100 orders',
      unit: 'per_100_orders',
      direction: 'above_is_bad',
      compute: wismo,
    },
    truck_utilization_pct: {
      label: 'Truck utilisation',
      unit: 'percent',
      direction: 'below_is_bad',
      compute: truckUtilization,
    },
    forecast_mape: {
      label: 'Forecast MAPE',
      unit: 'ratio',
      direction: 'above_is_bad',
      compute: forecastMape,
    },
  } satisfies Record<string, Spec>),
);

/** The exception SLOs: KPI name → its slo_targets key (minutes in the policy) and how it is shown. */
const slos: readonly (Spec & { readonly name: string; readonly slo: string; readonly always: boolean })[] = [
  {
    name: 'exception_assign_minutes_p50',
    slo: 'exception_assign_minutes_p50',
    label: 'Time to assign (median)',
    unit: 'minutes',
    direction: 'above_is_bad',
    always: true,
    compute: cycle('assigned'),
  },
  {
    name: 'exception_resolve_minutes_p50',
    slo: 'exception_resolve_minutes_p50',
    label: 'Time to resolve (median)',
    unit: 'minutes',
    direction: 'above_is_bad',
    always: true,
    compute: cycle('resolved'),
  },
  {
    name: 'exception_detection_latency_p95',
    slo: 'exception_detection_latency_minutes_p95',
    label: 'Detection latency p95',
    unit: 'seconds',
    direction: 'above_is_bad',
    always: true,
    compute: latencyP95('dockside_detection_latency_seconds', 'event-triggered detection'),
  },
  {
    name: 'notification_latency_p95',
    slo: 'notification_latency_minutes_p95',
    label: 'Notification latency p95',
    unit: 'seconds',
    direction: 'above_is_bad',
    always: false,
    compute: latencyP95('dockside_notification_latency_seconds', 'notification'),
  },
];

function view(
  name: string,
  spec: Omit<Spec, 'compute'>,
  threshold: number | null,
  thresholdKey: string | null,
  f: Figure,
  w: KpiWindow,
): KpiView {
  const value = finite(f.value);
  return {
    name,
    label: spec.label,
    value,
    unit: spec.unit,
    threshold,
    thresholdKey: threshold === null ? null : thresholdKey,
    direction: spec.direction,
    crossed: isCrossed(value, threshold, spec.direction),
    ...(value === null ? { reason: f.reason ?? 'no data' } : {}),
    ...(f.detail && value !== null ? { detail: f.detail } : {}),
    sparkline: sparkline(w, f.byHour),
  };
}

/** One KPI's figure; a failed read makes that KPI null with the reason, not the whole strip fail. */
function safely(spec: Spec, store: Store, w: KpiWindow): Promise<Figure> {
  return spec.compute(store, w).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    return none(`could not be computed: ${message.slice(0, 200)}`);
  });
}

/** Every KPI of the strip for the policy in force, as of `nowMs`. */
export async function computeKpis(store: Store, policy: Policy, nowMs: number): Promise<KpiAnswer> {
  const w = kpiWindow(nowMs);
  const jobs: Promise<KpiView | undefined>[] = [];
  for (const k of policy.telemetry?.kpis ?? []) {
    const spec = telemetry.get(k.name);
    const key = `telemetry.kpis[${k.name}].threshold_alert`;
    if (!spec) {
      const unknown = { label: k.name, unit: 'unknown' as const, direction: 'above_is_bad' as const };
      const f = none(
        'Dockside computes no KPI of this name (known: wismo_per_100_orders, truck_utilization_pct, forecast_mape)',
      );
      jobs.push(Promise.resolve(view(k.name, unknown, k.threshold_alert, key, f, w)));
      continue;
    }
    jobs.push(safely(spec, store, w).then((f) => view(k.name, spec, k.threshold_alert, key, f, w)));
  }
  const targets: Record<string, number | undefined> = policy.slo_targets ?? {};
  for (const s of slos) {
    const minutes = targets[s.slo];
    // Targets are minutes in the policy; latencies are measured (and shown) in seconds.
    const threshold = minutes === undefined ? null : s.unit === 'seconds' ? minutes * 60 : minutes;
    jobs.push(
      safely(s, store, w).then((f) =>
        s.always || threshold !== null || f.value !== null
          ? view(s.name, s, threshold, `slo_targets.${s.slo}`, f, w)
          : undefined,
      ),
    );
  }
  const kpis = (await Promise.all(jobs)).filter((k): k is KpiView => k !== undefined);
  return { at: new Date(nowMs).toISOString(), windowHours: WINDOW_HOURS, kpis };
}

export function registerKpiRoutes(app: FastifyInstance, deps: KpiDeps): void {
  const now = deps.now ?? Date.now;
  app.get('/api/kpis', async () => computeKpis(deps.store, deps.policy.current().policy, now()));
}
