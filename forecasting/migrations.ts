import type { Migration } from '../core/mod.ts';

/**
 * Forecasting's tables (versions 10-19). Writes are idempotent: ReplacingMergeTree keyed by run and
 * lane, and the daily volume is an AggregatingMergeTree of uniqExact states over shipment ids, so a
 * redelivered or re-imported commitment is never counted twice. No TTL: these are small (per lane and
 * day or run, not per event) and are the history forecasts and backtests are fitted on.
 */
const ts = "DateTime64(3, 'UTC')";
const dedupeWindow = 10_000;
const committedVolume = (
  events: string,
) => `SELECT 'committed' AS measure, lane, warehouse_id, toDate(occurred_at) AS day,
         uniqExactState(shipment_id) AS shipments
       FROM ${events}
       WHERE type = 'shipment.committed' AND lane != '' AND shipment_id != ''
       GROUP BY measure, lane, warehouse_id, day`;

export const forecastingMigrations: readonly Migration[] = [
  {
    version: 10,
    name: 'forecasting: lane daily commitments, materialised from events',
    statements: [
      {
        table: 'lane_daily_volume',
        columns: `measure LowCardinality(String), lane String, warehouse_id String, day Date,
        shipments AggregateFunction(uniqExact, String)`,
        engine: 'AggregatingMergeTree',
        orderBy: '(measure, lane, warehouse_id, day)',
        shardBy: 'cityHash64(lane, warehouse_id)',
      },
      // On a cluster the view fires on each shard's events_local and writes that shard's states.
      {
        view: 'lane_daily_volume_mv',
        to: 'lane_daily_volume',
        select: (from) => committedVolume(from('events')),
      },
      // Events stored before the view existed; an event caught by both is merged away by uniqExact.
      `INSERT INTO {db}.lane_daily_volume ${committedVolume('{db}.events')}`,
    ],
  },
  {
    version: 11,
    name: 'forecasting: forecast runs and forecasts',
    statements: [
      {
        table: 'forecast_runs',
        columns: `run_id String, created_at ${ts}, measure LowCardinality(String), origin Date, horizon UInt16,
        lanes UInt32, served LowCardinality(String), models Array(String), levels Array(UInt8), params String`,
        engine: 'ReplacingMergeTree',
        orderBy: 'run_id',
        dedupeWindow,
        shardBy: 'cityHash64(run_id)',
      },
      {
        table: 'forecasts',
        columns: `run_id String, created_at ${ts}, measure LowCardinality(String), lane String, warehouse_id String,
        model LowCardinality(String), day Date, step UInt16, mean Float64,
        levels Array(UInt8), lower Array(Float64), upper Array(Float64)`,
        engine: 'ReplacingMergeTree',
        orderBy: '(measure, lane, warehouse_id, run_id, model, day)',
        dedupeWindow,
        shardBy: 'cityHash64(lane, warehouse_id)',
      },
    ],
  },
  {
    version: 12,
    name: 'forecasting: backtest accuracy per lane and model',
    statements: [
      {
        table: 'forecast_accuracy',
        columns: `run_id String, backtested_at ${ts}, measure LowCardinality(String), lane String, warehouse_id String,
        model LowCardinality(String), served UInt8, selected_model LowCardinality(String), weights String,
        horizon UInt16, folds UInt8, points UInt32, mape Nullable(Float64), mape_skipped_zeros UInt32,
        wape Nullable(Float64), smape Nullable(Float64), mase Nullable(Float64), bias Nullable(Float64),
        coverage_levels Array(UInt8), coverage Array(Nullable(Float64))`,
        engine: 'ReplacingMergeTree',
        orderBy: '(measure, lane, warehouse_id, run_id, model)',
        dedupeWindow,
        shardBy: 'cityHash64(lane, warehouse_id)',
      },
    ],
  },
  {
    version: 13,
    name: 'forecasting: forecast-delta alerts',
    statements: [
      {
        table: 'forecast_alerts',
        columns: `id String, created_at ${ts}, measure LowCardinality(String), lane String, warehouse_id String,
        run_id String, previous_run_id String, window_start Date, window_end Date,
        previous_volume Float64, new_volume Float64, change Float64, threshold Float64,
        direction LowCardinality(String)`,
        engine: 'ReplacingMergeTree',
        orderBy: 'id',
        dedupeWindow,
        shardBy: 'cityHash64(id)',
      },
    ],
  },
  {
    version: 14,
    name: 'forecasting: alert kinds (forecast_delta, forecast_mape) and the KPI value of a KPI alert',
    statements: [
      { addColumnTo: 'forecast_alerts', column: "kind LowCardinality(String) DEFAULT 'forecast_delta'" },
      { addColumnTo: 'forecast_alerts', column: 'value Nullable(Float64) DEFAULT NULL' },
    ],
  },
];
