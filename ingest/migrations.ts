import type { Migration } from '../core/mod.ts';

const ts = "DateTime64(3, 'UTC')";
const dedupeWindow = 10_000;

/** The ingest module's tables (versions 30-39). */
export const ingestMigrations: readonly Migration[] = [
  {
    version: 30,
    name: 'data-quality findings of accepted events',
    statements: [
      {
        table: 'quality_findings',
        // One row per (event, code): a redelivered event collapses onto its first row at merge (FINAL reads one).
        columns: `event_id String, source LowCardinality(String), code LowCardinality(String), field String,
        value String, reason String, occurred_at ${ts}, received_at ${ts}`,
        engine: 'ReplacingMergeTree',
        orderBy: '(event_id, code)',
        ttl: { column: 'received_at', retention: 'logs' },
        dedupeWindow,
        shardBy: 'cityHash64(event_id)',
      },
    ],
  },
];
