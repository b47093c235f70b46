import type { Migration } from '../core/mod.ts';

const ts = "DateTime64(3, 'UTC')";
const dedupeWindow = 10_000;

/**
 * The exceptions module's tables (versions 20-29): two operational logs, kept DOCKSIDE_LOGS_RETAIN_DAYS, and
 * columns added to core's `exceptions` table.
 */
export const exceptionMigrations: readonly Migration[] = [
  {
    version: 20,
    name: 'late events: events that arrived behind their partition watermark',
    statements: [
      {
        table: 'late_events',
        columns: `event_id String, type LowCardinality(String), source LowCardinality(String), partition UInt16,
        stream_seq UInt64, occurred_at ${ts}, watermark_at ${ts}, arrived_at ${ts}, subject String`,
        engine: 'ReplacingMergeTree',
        orderBy: 'event_id',
        ttl: { column: 'arrived_at', retention: 'logs' },
        dedupeWindow,
        shardBy: 'cityHash64(event_id)',
      },
    ],
  },
  {
    version: 21,
    name: 'detector metric samples per worker',
    statements: [
      {
        table: 'detector_metrics',
        columns: `at ${ts}, worker String, task LowCardinality(String), events UInt64, emissions UInt64, late UInt64,
        subjects UInt64, timers UInt64, watermark_lag_s Nullable(Float64), latency_p50_ms Nullable(Float64),
        latency_p99_ms Nullable(Float64), absence_lag_p99_ms Nullable(Float64), sources String`,
        engine: 'ReplacingMergeTree',
        orderBy: '(worker, task, at)',
        ttl: { column: 'at', retention: 'logs' },
        dedupeWindow,
        shardBy: 'cityHash64(worker)',
      },
    ],
  },
  {
    version: 22,
    name: "exceptions carry the commitment's carrier (incidents group by it)",
    // Rows written before keep '' (no carrier), as do exceptions about carrier-less shipments.
    statements: [{ addColumnTo: 'exceptions', column: "carrier_id String DEFAULT ''" }],
  },
];
