import type { Migration } from '../core/mod.ts';

const ts = "DateTime64(3, 'UTC')";
const dedupe = 'SETTINGS non_replicated_deduplication_window = 10000';

/** The exceptions module's tables (versions 20-29). */
export const exceptionMigrations: readonly Migration[] = [
  {
    version: 20,
    name: 'late events: events that arrived behind their partition watermark',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.late_events (
        event_id String, type LowCardinality(String), source LowCardinality(String), partition UInt16,
        stream_seq UInt64, occurred_at ${ts}, watermark_at ${ts}, arrived_at ${ts}, subject String
      ) ENGINE = ReplacingMergeTree ORDER BY event_id ${dedupe}`,
    ],
  },
  {
    version: 21,
    name: 'detector metric samples per worker',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.detector_metrics (
        at ${ts}, worker String, task LowCardinality(String), events UInt64, emissions UInt64, late UInt64,
        subjects UInt64, timers UInt64, watermark_lag_s Nullable(Float64), latency_p50_ms Nullable(Float64),
        latency_p99_ms Nullable(Float64), absence_lag_p99_ms Nullable(Float64), sources String
      ) ENGINE = ReplacingMergeTree ORDER BY (worker, task, at) ${dedupe}`,
    ],
  },
];
