import type { Logger, Store } from '../../core/mod.ts';
import {
  DEFAULT_RUN_OPTIONS,
  type ForecastRunOptions,
  type ForecastRunSummary,
  runForecasts,
} from '../../forecasting/mod.ts';
import { type LaneDay, laneHistory } from '../simulator/history.ts';

/**
 * The demo's history: months of simulated daily lane volumes written where forecasting reads its series
 * (`lane_daily_volume`, forecasting migration 10: per lane, warehouse and day a uniqExact state over
 * shipment ids), then a forecast run, so the forecast desk, its accuracy table and the KPI strip's
 * forecast MAPE have values within a minute of `npm run demo`.
 *
 * No events are invented: the board, the evidence timelines and data quality keep showing only what the
 * live simulator sends. The ids behind the counts are deterministic (`backfill:<lane>:<day>:<n>`), so a
 * second demo on the same data merges a day it already stored instead of doubling it.
 */
export const BACKFILL_DAYS = 120;
const CHUNK = 2_000;

const MS_PER_DAY = 86_400_000;
const dayOfMs = (ms: number) => Math.floor(ms / MS_PER_DAY);

export async function storeLaneHistory(store: Store, rows: readonly LaneDay[]): Promise<void> {
  const table = store.table('lane_daily_volume');
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK).filter((r) => r.volume > 0);
    if (chunk.length === 0) continue;
    await store.client.command({
      query: `INSERT INTO ${table} (measure, lane, warehouse_id, day, shipments)
        SELECT 'committed', r.1, r.2, toDate(r.3),
               uniqExactState(concat('backfill:', r.1, ':', toString(r.3), ':', toString(k)))
        FROM (SELECT arrayJoin(arrayZip({lanes:Array(String)}, {warehouses:Array(String)},
                                        {days:Array(UInt32)}, {volumes:Array(UInt32)})) AS r)
        ARRAY JOIN range(r.4) AS k
        GROUP BY r.1, r.2, r.3`,
      query_params: {
        lanes: chunk.map((r) => r.lane),
        warehouses: chunk.map((r) => r.warehouse),
        days: chunk.map((r) => r.day),
        volumes: chunk.map((r) => r.volume),
      },
    });
  }
}

export interface BackfillResult {
  readonly lanes: number;
  readonly days: number;
  readonly shipments: number;
  /** The forecast made as of a week ago (the baseline forecast-delta alerts compare against). */
  readonly weekAgo: ForecastRunSummary;
  /** The forecast from today, served by the desk. */
  readonly today: ForecastRunSummary;
}

/**
 * Backfills the history ending yesterday, then forecasts twice: as of a week ago (a cheaper model set, no
 * backtest folds: only a baseline) and as of today with the scheduler's options (backtest, every model).
 * Lanes that shifted over the last week raise forecast-delta alerts against the first.
 */
export async function backfillDemo(
  store: Store,
  logger: Logger,
  opts: { seed: number; now?: number; days?: number; run?: Partial<ForecastRunOptions> },
): Promise<BackfillResult> {
  const now = opts.now ?? Date.now();
  const today = dayOfMs(now);
  const days = opts.days ?? BACKFILL_DAYS;
  const rows = laneHistory({ seed: opts.seed, end: today, days });
  await storeLaneHistory(store, rows);
  const base: ForecastRunOptions = { ...DEFAULT_RUN_OPTIONS, ...opts.run };
  const weekAgo = await runForecasts(
    {
      ...base,
      asOf: today - 7,
      folds: 0,
      models: ['seasonal-naive', 'moving-average', 'weekly-profile', 'level-profile'],
    },
    // Stored as made a week ago, which it stands for: the desk and the accuracy API take the latest run.
    { store, logger, now: () => now - 7 * MS_PER_DAY },
  );
  const current = await runForecasts({ ...base, asOf: 'today' }, { store, logger });
  return {
    lanes: new Set(rows.map((r) => r.lane)).size,
    days,
    shipments: rows.reduce((s, r) => s + r.volume, 0),
    weekAgo,
    today: current,
  };
}
