import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chTime, parsePolicy } from '../../core/mod.ts';
import {
  addBuckets,
  HOUR_MS,
  histogramQuantile,
  hourlyBuckets,
  isCrossed,
  type KpiView,
  kpiWindow,
  mapeAsOf,
} from '../../dashboards/kpi-math.ts';
import { computeKpis, type KpiAnswer } from '../../dashboards/kpis.ts';
import { startTestDockside, type TestDockside } from '../helpers/dockside.ts';
import { waitFor } from '../helpers/wait.ts';
import { TEMPLATE_POLICY } from '../helpers/writeback-world.ts';

/**
 * GET /api/kpis on a whole Dockside (real NATS, embedded ClickHouse) under the template policy: every
 * value is computed from data put in here — events through the API, exceptions, metric samples and
 * backtests into their tables — and is null with a reason while that data is missing.
 */

describe('KPI arithmetic', () => {
  it('estimates a quantile from cumulative buckets like histogram_quantile', () => {
    const b = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.1, 10);
    expect(histogramQuantile(0.95, b)).toBeCloseTo(0.75, 10);
    // A rank in the +Inf bucket answers the highest finite bound.
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 90 },
        { le: Number.POSITIVE_INFINITY, count: 100 },
      ]),
    ).toBe(1);
    expect(histogramQuantile(0.95, [{ le: Number.POSITIVE_INFINITY, count: 0 }])).toBeNull();
  });

  it('turns cumulative samples of several processes into observations per hour', () => {
    const hours = hourlyBuckets(
      [
        // process a was running before the window (hour -1 is its baseline) …
        { series: 'a', le: '0.1', hour: -1, value: 10 },
        { series: 'a', le: '+Inf', hour: -1, value: 10 },
        { series: 'a', le: '0.1', hour: 0, value: 12 },
        { series: 'a', le: '0.1', hour: 0, value: 15 },
        { series: 'a', le: '+Inf', hour: 0, value: 20 },
        { series: 'a', le: '+Inf', hour: 2, value: 30 },
        // … process b started inside it (from zero).
        { series: 'b', le: '0.1', hour: 1, value: 4 },
        { series: 'b', le: '+Inf', hour: 1, value: 4 },
      ],
      4,
    );
    const at = (h: number, le: number) => hours[h]?.find((x) => x.le === le)?.count;
    const inf = Number.POSITIVE_INFINITY;
    expect([at(0, 0.1), at(0, inf)]).toEqual([5, 10]);
    expect([at(1, 0.1), at(1, inf)]).toEqual([4, 4]);
    expect([at(2, 0.1), at(2, inf)]).toEqual([0, 10]);
    expect([at(3, 0.1), at(3, inf)]).toEqual([0, 0]);
    expect(addBuckets(hours)).toEqual([
      { le: 0.1, count: 9 },
      { le: inf, count: 24 },
    ]);
  });

  it('crosses above or below by direction, never without a value or threshold', () => {
    expect(isCrossed(20, 12, 'above_is_bad')).toBe(true);
    expect(isCrossed(12, 12, 'above_is_bad')).toBe(false);
    expect(isCrossed(65, 78, 'below_is_bad')).toBe(true);
    expect(isCrossed(80, 78, 'below_is_bad')).toBe(false);
    expect(isCrossed(null, 12, 'above_is_bad')).toBe(false);
    expect(isCrossed(20, null, 'above_is_bad')).toBe(false);
  });

  it("takes each lane's latest backtest as it stood at a time", () => {
    const rows = [
      { lane: 'A', atMs: 100, mape: 0.9 },
      { lane: 'A', atMs: 200, mape: 0.2 },
      { lane: 'B', atMs: 150, mape: 0.45 },
      { lane: 'C', atMs: 200, mape: null },
    ];
    expect(mapeAsOf(rows, 180)).toEqual({ value: 0.675, lanes: 2 });
    expect(mapeAsOf(rows, 201)).toEqual({ value: (0.2 + 0.45) / 2, lanes: 2 });
    expect(mapeAsOf(rows, 50)).toEqual({ value: null, lanes: 0 });
  });

  it('covers the current hour and the 23 before it', () => {
    const now = Date.parse('2026-03-04T10:20:00Z');
    const w = kpiWindow(now);
    expect(w.hours).toHaveLength(24);
    expect(new Date(w.fromMs).toISOString()).toBe('2026-03-03T11:00:00.000Z');
    expect(new Date(w.hours[23] as number).toISOString()).toBe('2026-03-04T10:00:00.000Z');
  });
});

describe('GET /api/kpis', () => {
  let t: TestDockside;
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const hourOf = (ms: number) => iso(Math.floor(ms / HOUR_MS) * HOUR_MS);

  beforeAll(async () => {
    t = await startTestDockside('kpis', { POLICY_FILE: TEMPLATE_POLICY });
  });
  afterAll(async () => {
    await t?.close();
  });

  const kpis = async (role = 'warehouse_supervisor'): Promise<Record<string, KpiView>> => {
    const res = await t.inject({ method: 'GET', url: '/api/kpis' }, role);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<KpiAnswer>();
    expect(body.windowHours).toBe(24);
    return Object.fromEntries(body.kpis.map((k) => [k.name, k]));
  };
  const insert = (table: string, values: object[]) =>
    t.dockside.store.client.insert({ table: t.dockside.store.table(table), values, format: 'JSONEachRow' });

  it('lists the policy KPIs and the SLOs with thresholds; null with a reason while there is no data', async () => {
    const k = await kpis();
    expect(Object.keys(k)).toEqual([
      'wismo_per_100_orders',
      'truck_utilization_pct',
      'forecast_mape',
      'exception_assign_minutes_p50',
      'exception_resolve_minutes_p50',
      'exception_detection_latency_p95',
      'notification_latency_p95',
    ]);
    expect(k.wismo_per_100_orders).toMatchObject({
      threshold: 12,
      direction: 'above_is_bad',
      unit: 'per_100_orders',
    });
    expect(k.truck_utilization_pct).toMatchObject({
      threshold: 78,
      direction: 'below_is_bad',
      unit: 'percent',
    });
    expect(k.forecast_mape).toMatchObject({ threshold: 0.3, direction: 'above_is_bad', unit: 'ratio' });
    // The template has no cycle-time targets; the latency SLOs are minutes in the policy, seconds here.
    expect(k.exception_assign_minutes_p50?.threshold).toBeNull();
    expect(k.exception_detection_latency_p95).toMatchObject({
      threshold: 600,
      thresholdKey: 'slo_targets.exception_detection_latency_minutes_p95',
    });
    expect(k.notification_latency_p95?.threshold).toBe(900);
    for (const v of Object.values(k)) {
      expect(v.value, v.name).toBeNull();
      expect(v.crossed, v.name).toBe(false);
      expect(v.reason, v.name).toMatch(/\w/);
      expect(v.sparkline, v.name).toHaveLength(24);
      expect(v.sparkline.every((p) => p.value === null)).toBe(true);
    }
    expect(k.wismo_per_100_orders?.reason).toMatch(/no shipped order/);
    expect(k.forecast_mape?.reason).toMatch(/no forecast backtest/);
  });

  it("follows the policy: its KPI names and order, its SLO targets; a name Dockside doesn't compute says so", async () => {
    const policy = parsePolicy(
      [
        'version: 1',
        'policy_name: kpi-test',
        'slo_targets:',
        '  exception_assign_minutes_p50: 5',
        'telemetry:',
        '  kpis:',
        '    - name: on_time_pct',
        '      threshold_alert: 95',
        '    - name: constructor',
        '      threshold_alert: 1',
        '    - name: forecast_mape',
        '      threshold_alert: 0.2',
      ].join('\n'),
      'kpi-test.yaml',
    );
    const answer = await computeKpis(t.dockside.store, policy, Date.now());
    // No notification target and no notification measured: that line is left out.
    expect(answer.kpis.map((k) => k.name)).toEqual([
      'on_time_pct',
      'constructor',
      'forecast_mape',
      'exception_assign_minutes_p50',
      'exception_resolve_minutes_p50',
      'exception_detection_latency_p95',
    ]);
    const [onTime, proto, mape, assign] = answer.kpis;
    expect(onTime).toMatchObject({ value: null, threshold: 95, unit: 'unknown', crossed: false });
    expect(onTime?.reason).toMatch(/computes no KPI of this name/);
    expect(proto?.reason).toMatch(/computes no KPI of this name/);
    expect(mape?.threshold).toBe(0.2);
    expect(assign).toMatchObject({ threshold: 5, thresholdKey: 'slo_targets.exception_assign_minutes_p50' });
    expect(answer.kpis[5]?.threshold).toBeNull();
  });

  it('WISMO: 10 shipped orders and 2 WISMO contacts → 20 per 100, crossed against 12', async () => {
    const at = now - 30 * 60_000;
    const events = [
      ...Array.from({ length: 10 }, (_, i) => ({
        id: `kpi-scan-${i}`,
        type: 'wms.ship_scan',
        occurredAt: iso(at),
        shipmentId: `KS-${i}`,
        warehouseId: 'WH-1',
      })),
      // a second scan of one shipment is still one shipped order
      {
        id: 'kpi-scan-again',
        type: 'wms.ship_scan',
        occurredAt: iso(at),
        shipmentId: 'KS-0',
        warehouseId: 'WH-1',
      },
      ...[0, 1].map((i) => ({
        id: `kpi-wismo-${i}`,
        type: 'crm.contact',
        occurredAt: iso(at),
        customerId: 'C-1',
        reason: i === 0 ? 'wismo' : ' WISMO ',
      })),
      { id: 'kpi-billing', type: 'crm.contact', occurredAt: iso(at), customerId: 'C-1', reason: 'billing' },
      // a day ago: outside the window
      {
        id: 'kpi-old-wismo',
        type: 'crm.contact',
        occurredAt: iso(now - 30 * HOUR_MS),
        customerId: 'C-1',
        reason: 'wismo',
      },
    ];
    const res = await t.inject({ method: 'POST', url: '/api/events', payload: events }, 'ingest');
    expect(res.json<{ accepted: number }>().accepted, res.body).toBe(events.length);
    // Events reach ClickHouse in batches: wait for all of them (a partial batch could show 20 too).
    const w = await waitFor('all the scans and contacts', async () => {
      const k = (await kpis()).wismo_per_100_orders;
      return k?.detail === '2 WISMO contacts / 10 shipped orders, last 24 h' ? k : undefined;
    });
    expect(w.value).toBe(20);
    expect(w.crossed).toBe(true);
    expect(w.sparkline.find((p) => p.at === hourOf(at))?.value).toBe(20);
    expect(w.sparkline.filter((p) => p.value !== null)).toHaveLength(1);
  });

  it('truck utilisation from the capacity loads carry (latest tender per load); null reason names the fields', async () => {
    const at = now - 20 * 60_000;
    const tender = (id: string, loadId: string, ms: number, cap?: [number, number]) => ({
      id,
      type: 'tms.tender',
      occurredAt: iso(ms),
      loadId,
      carrierId: 'CAR-1',
      shipmentIds: ['KS-1'],
      ...(cap ? { capacityUsed: cap[0], capacityAvailable: cap[1] } : {}),
    });
    const first = await t.inject(
      { method: 'POST', url: '/api/events', payload: [tender('kpi-t-none', 'L-3', at)] },
      'ingest',
    );
    expect(first.statusCode, first.body).toBe(200);
    const reason = await waitFor('a load without capacity', async () => {
      const k = (await kpis()).truck_utilization_pct;
      return k?.reason?.includes('none of the 1 load ') ? k.reason : undefined;
    });
    expect(reason).toMatch(/capacityUsed and capacityAvailable/);
    const res = await t.inject(
      {
        method: 'POST',
        url: '/api/events',
        payload: [
          tender('kpi-t-1a', 'L-1', at - 60_000, [10, 40]),
          tender('kpi-t-1b', 'L-1', at, [32, 40]),
          tender('kpi-t-2', 'L-2', at, [20, 40]),
        ],
      },
      'ingest',
    );
    expect(res.statusCode, res.body).toBe(200);
    // (32 + 20) / (40 + 40): load L-1 counts once, with its latest tender; L-3 carries no capacity.
    const k = await waitFor('truck utilisation of the three loads', async () => {
      const v = (await kpis()).truck_utilization_pct;
      return v?.value === 65 ? v : undefined;
    });
    expect(k.crossed).toBe(true);
    expect(k.detail).toMatch(/2 of 3 loads/);
  });

  it('cycle time: median minutes from detection to assignment and to resolution of handled exceptions', async () => {
    const row = (id: string, detectedMs: number, assignMin: number | null, resolveMin: number | null) => ({
      id,
      type: 'late_scan',
      status: resolveMin !== null ? 'resolved' : assignMin !== null ? 'assigned' : 'open',
      severity: 'high',
      confidence: 0.9,
      detected_at: chTime(detectedMs),
      occurred_at: chTime(detectedMs),
      published_at: chTime(detectedMs),
      assigned_at: assignMin === null ? null : chTime(detectedMs + assignMin * 60_000),
      resolved_at: resolveMin === null ? null : chTime(detectedMs + resolveMin * 60_000),
      version: 3,
    });
    await insert('exceptions', [
      row('kpi-ex-1', now - 3 * HOUR_MS, 10, 40),
      row('kpi-ex-2', now - 2 * HOUR_MS, 20, 60),
      // cleared by the detector, never handled by a person: not a handling time
      row('kpi-ex-3', now - 2 * HOUR_MS, null, 5),
      // assigned but open
      row('kpi-ex-4', now - 90 * 60_000, 3, null),
    ]);
    const k = await kpis();
    expect(k.exception_assign_minutes_p50).toMatchObject({ value: 10, crossed: false, threshold: null });
    expect(k.exception_assign_minutes_p50?.detail).toBe('median of 3 exceptions assigned in the last 24 h');
    expect(k.exception_resolve_minutes_p50).toMatchObject({ value: 50 });
    expect(k.exception_resolve_minutes_p50?.detail).toBe('median of 2 exceptions resolved in the last 24 h');
    const spark = k.exception_resolve_minutes_p50?.sparkline ?? [];
    expect(spark.find((p) => p.at === hourOf(now - 3 * HOUR_MS + 40 * 60_000))?.value).toBe(40);
  });

  it('detection and notification latency p95 from the histograms stored in metric_samples', async () => {
    const ts = chTime(now - 10 * 60_000);
    const bucket = (name: string, le: string, value: number, labels: Record<string, string> = {}) => ({
      ts,
      process: 'kpi-test-worker',
      name: `${name}_bucket`,
      labels: { ...labels, le },
      value,
    });
    const detection = 'dockside_detection_latency_seconds';
    const notification = 'dockside_notification_latency_seconds';
    await insert('metric_samples', [
      bucket(detection, '0.001', 0),
      bucket(detection, '0.005', 80),
      bucket(detection, '0.01', 95),
      bucket(detection, '0.025', 100),
      bucket(detection, '+Inf', 100),
      // two label sets of one histogram add up: 10 + 10 observations, 19 of them ≤ 1 s
      bucket(notification, '0.5', 5, { about: 'approval_needed' }),
      bucket(notification, '1', 10, { about: 'approval_needed' }),
      bucket(notification, '+Inf', 10, { about: 'approval_needed' }),
      bucket(notification, '0.5', 9, { about: 'write_failed' }),
      bucket(notification, '1', 9, { about: 'write_failed' }),
      bucket(notification, '+Inf', 10, { about: 'write_failed' }),
    ]);
    const k = await kpis();
    // rank 95 of 100 is the last of the bucket (0.005, 0.01]
    expect(k.exception_detection_latency_p95).toMatchObject({ value: 0.01, crossed: false, unit: 'seconds' });
    // 14 observations ≤ 0.5 s, 19 ≤ 1 s, 20 in all: rank 19 is the last of (0.5, 1] → 1
    expect(k.notification_latency_p95?.value).toBe(1);
    expect(k.notification_latency_p95?.detail).toMatch(/p95 of 20 notifications/);
  });

  it("forecast MAPE: median of each lane's latest served backtest, as it stood each hour", async () => {
    const row = (lane: string, run: string, ms: number, mape: number | null, served = 1) => ({
      run_id: run,
      backtested_at: chTime(ms),
      measure: 'committed',
      lane,
      warehouse_id: '',
      model: served ? 'ensemble' : 'seasonal_naive',
      served,
      selected_model: 'ensemble',
      weights: '{}',
      horizon: 28,
      folds: 4,
      points: 112,
      mape,
      mape_skipped_zeros: 0,
      coverage_levels: [],
      coverage: [],
    });
    const before = now - 30 * HOUR_MS;
    const recent = now - 2 * HOUR_MS;
    await insert('forecast_accuracy', [
      row('SP>RJ', 'run-old', before, 0.9),
      row('MG>SP', 'run-old', before, 0.45),
      row('SP>RJ', 'run-new', recent, 0.2),
      row('SP>RJ', 'run-new', recent, 0.01, 0),
      row('RJ>BA', 'run-new', recent, 0.5),
    ]);
    const k = (await kpis()).forecast_mape;
    // now: SP>RJ 0.2, MG>SP 0.45 (still its latest), RJ>BA 0.5 → 0.45
    expect(k).toMatchObject({
      value: 0.45,
      crossed: true,
      detail:
        'backtest: median over 3 lanes of the latest backtest (no live score: no served forecast for a complete day of the last 28)',
    });
    const points = k?.sparkline ?? [];
    // before the new run: SP>RJ 0.9 and MG>SP 0.45 → 0.675
    expect(points[0]?.value).toBe(0.675);
    expect(points.find((p) => p.at === hourOf(recent))?.value).toBe(0.45);
    expect(points[23]?.value).toBe(0.45);
  });

  it('answers every role that reads anything; refuses a token without a known role and no token', async () => {
    for (const role of [
      'ops_dispatch_manager',
      'account_owner',
      'planner',
      'admin',
      'warehouse_supervisor',
    ]) {
      const res = await t.inject({ method: 'GET', url: '/api/kpis' }, role);
      expect(res.statusCode, role).toBe(200);
    }
    const none = await t.inject({ method: 'GET', url: '/api/kpis' }, 'stranger');
    expect(none.statusCode).toBe(403);
    const anonymous = await t.dockside.server.inject({ method: 'GET', url: '/api/kpis' });
    expect(anonymous.statusCode).toBe(401);
  });
});
