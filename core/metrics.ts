import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per running Dockside; modules register their metrics on it. */
export function createMetrics() {
  const registry = new Registry();
  // Gauges computed from storage: the module that can compute one sets its hook; collection awaits it.
  const onCollect: { alertBudget?: () => Promise<void> } = {};
  const latencyBuckets = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    ingested: new Counter({
      name: 'dockside_ingest_events_total',
      help: 'Events offered to ingest, by source and result (accepted, duplicate, rejected)',
      labelNames: ['source', 'result'] as const,
      registers: [registry],
    }),
    ingestLag: new Histogram({
      name: 'dockside_ingest_lag_seconds',
      help: 'Arrival time minus occurredAt, by source (feed timeliness)',
      labelNames: ['source'] as const,
      buckets: [1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
      registers: [registry],
    }),
    detectionLatency: new Histogram({
      name: 'dockside_detection_latency_seconds',
      help: 'Event arrival to exception published (event-triggered exceptions)',
      // Up to half an hour, so the policy's minutes-scale SLO (e.g. p95 ≤ 10 min) can be seen crossed.
      buckets: [...latencyBuckets, 30, 60, 300, 600, 1800],
      registers: [registry],
    }),
    absenceLag: new Histogram({
      name: 'dockside_absence_lag_seconds',
      help: 'Deadline (event time) to absence exception published, in processing time',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    exceptions: new Counter({
      name: 'dockside_exceptions_total',
      help: 'Exception state changes published, by type and status',
      labelNames: ['type', 'status'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'dockside_dead_letters_total',
      help: 'Inputs parked in the dead-letter stream, by source and code',
      labelNames: ['source', 'code'] as const,
      registers: [registry],
    }),
    detectorState: new Gauge({
      name: 'dockside_detector_state',
      help: 'Detector state size: shipments, timers, exceptions',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    watermarkLag: new Gauge({
      name: 'dockside_watermark_lag_seconds',
      help: 'Wall clock minus the detector watermark',
      registers: [registry],
    }),
    scanCoverage: new Gauge({
      name: 'dockside_scan_coverage_ratio',
      help: 'Share of committed shipments with at least one WMS scan, by warehouse',
      labelNames: ['warehouse'] as const,
      registers: [registry],
    }),
    lateEvents: new Counter({
      name: 'dockside_late_events_total',
      help: 'Events behind the watermark (later than the allowed lateness); kept, and flagged late',
      registers: [registry],
    }),
    detectorEvents: new Counter({
      name: 'dockside_detector_events_total',
      help: 'Events (or partial aggregates) processed by the detector, by task (events-<p>, agg-<p>)',
      labelNames: ['task'] as const,
      registers: [registry],
    }),
    sourceWatermarkLag: new Gauge({
      name: 'dockside_source_watermark_lag_seconds',
      help: 'Wall clock minus the watermark of one source in one partition',
      labelNames: ['partition', 'source'] as const,
      registers: [registry],
    }),
    detectorPartitions: new Gauge({
      name: 'dockside_detector_partitions_owned',
      help: 'Partitions this process owns through its NATS KV leases',
      registers: [registry],
    }),
    snapshotSeconds: new Histogram({
      name: 'dockside_detector_snapshot_seconds',
      help: 'Time to serialize and store one partition snapshot',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    detectorRestores: new Counter({
      name: 'dockside_detector_restores_total',
      help: 'Task starts, by whether a snapshot was restored (snapshot) or the stream replayed from its start (empty)',
      labelNames: ['from'] as const,
      registers: [registry],
    }),
    liveDropped: new Counter({
      name: 'dockside_live_slow_clients_dropped_total',
      help: 'Live-stream (SSE) clients dropped because their unsent bytes reached the buffer limit',
      registers: [registry],
    }),
    liveDropBuffered: new Gauge({
      name: 'dockside_live_drop_buffered_bytes_max',
      help: 'The largest socket writableLength of a live-stream client at the moment it was dropped',
      registers: [registry],
    }),
    exceptionsPer100: new Gauge({
      name: 'dockside_exceptions_per_100_shipments',
      help: 'Alert budget (GET /api/quality): exceptions per 100 committed shipments over the last 7 days of exception time, by type and source, and by type and warehouse; the 20 sources and 20 warehouses with the most shipments, the rest as "(other)"',
      labelNames: ['type', 'source', 'warehouse'] as const,
      registers: [registry],
      async collect() {
        await onCollect.alertBudget?.();
      },
    }),
    /** Hooks the registry's collection awaits (set by the module that computes the gauge, e.g. ingest/quality-budget.ts). */
    onCollect,
    httpShed: new Counter({
      name: 'dockside_http_shed_total',
      help: 'Requests refused with 429, by reason (rate_limit, ingest_window)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
