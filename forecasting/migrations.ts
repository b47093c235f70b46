import type { Migration } from '../core/mod.ts';

/**
 * Forecasting's tables (versions 10-19). Writes are idempotent: ReplacingMergeTree keyed by run and
 * lane, and the daily volume is an AggregatingMergeTree of uniqExact states over shipment ids, so a
 * redelivered or re-imported commitment is never counted twice.
 */
const ts = "DateTime64(3, 'UTC')";
const dedupe = 'SETTINGS non_replicated_deduplication_window = 10000';
const committedVolume = `SELECT 'committed' AS measure, lane, warehouse_id, toDate(occurred_at) AS day,
         uniqExactState(shipment_id) AS shipments
       FROM {db}.events
       WHERE type = 'shipment.committed' AND lane != '' AND shipment_id != ''
       GROUP BY measure, lane, warehouse_id, day`;

export const forecastingMigrations: readonly Migration[] = [
  {
    version: 10,
    name: 'forecasting: lane daily commitments, materialised from events',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.lane_daily_volume (
        measure LowCardinality(String), lane String, warehouse_id String, day Date,
        shipments AggregateFunction(uniqExact, String)
      ) ENGINE = AggregatingMergeTree ORDER BY (measure, lane, warehouse_id, day)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.lane_daily_volume_mv TO {db}.lane_daily_volume AS ${committedVolume}`,
      // Events stored before the view existed; an event caught by both is merged away by uniqExact.
      `INSERT INTO {db}.lane_daily_volume ${committedVolume}`,
    ],
  },
  {
    version: 11,
    name: 'forecasting: forecast runs and forecasts',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.forecast_runs (
        run_id String, created_at ${ts}, measure LowCardinality(String), origin Date, horizon UInt16,
        lanes UInt32, served LowCardinality(String), models Array(String), levels Array(UInt8), params String
      ) ENGINE = ReplacingMergeTree ORDER BY run_id ${dedupe}`,
      `CREATE TABLE IF NOT EXISTS {db}.forecasts (
        run_id String, created_at ${ts}, measure LowCardinality(String), lane String, warehouse_id String,
        model LowCardinality(String), day Date, step UInt16, mean Float64,
        levels Array(UInt8), lower Array(Float64), upper Array(Float64)
      ) ENGINE = ReplacingMergeTree ORDER BY (measure, lane, warehouse_id, run_id, model, day) ${dedupe}`,
    ],
  },
  {
    version: 12,
    name: 'forecasting: backtest accuracy per lane and model',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.forecast_accuracy (
        run_id String, backtested_at ${ts}, measure LowCardinality(String), lane String, warehouse_id String,
        model LowCardinality(String), served UInt8, selected_model LowCardinality(String), weights String,
        horizon UInt16, folds UInt8, points UInt32, mape Nullable(Float64), mape_skipped_zeros UInt32,
        wape Nullable(Float64), smape Nullable(Float64), mase Nullable(Float64), bias Nullable(Float64),
        coverage_levels Array(UInt8), coverage Array(Nullable(Float64))
      ) ENGINE = ReplacingMergeTree ORDER BY (measure, lane, warehouse_id, run_id, model) ${dedupe}`,
    ],
  },
  {
    version: 13,
    name: 'forecasting: forecast-delta alerts',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.forecast_alerts (
        id String, created_at ${ts}, measure LowCardinality(String), lane String, warehouse_id String,
        run_id String, previous_run_id String, window_start Date, window_end Date,
        previous_volume Float64, new_volume Float64, change Float64, threshold Float64,
        direction LowCardinality(String)
      ) ENGINE = ReplacingMergeTree ORDER BY id ${dedupe}`,
    ],
  },
];
