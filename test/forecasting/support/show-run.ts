import type { Store } from '../../../core/mod.ts';
import { dayOf, msFromDay } from '../../../forecasting/days.ts';
import { writeRun } from '../../../forecasting/store.ts';

/** The origin of the run `writeShowRun` stores. */
export const SHOW_ORIGIN = dayOf('2024-04-08');

/**
 * One served forecast with known bands for `dockside forecast show` (lane SP>RJ, 3 days from SHOW_ORIGIN):
 * means 20/30/45, 80 % bands ±5, 95 % bands ±10.
 */
export async function writeShowRun(store: Store, runId: string): Promise<void> {
  await writeRun(
    store,
    {
      runId,
      createdAt: msFromDay(SHOW_ORIGIN),
      measure: 'committed',
      origin: SHOW_ORIGIN,
      horizon: 3,
      lanes: 1,
      served: 'ensemble',
      models: ['ensemble'],
      levels: [80, 95],
      params: {},
    },
    [
      {
        lane: 'SP>RJ',
        warehouse: '',
        model: 'ensemble',
        origin: SHOW_ORIGIN,
        mean: [20, 30, 45],
        intervals: [
          { level: 80, lower: [15, 25, 40], upper: [25, 35, 50] },
          { level: 95, lower: [10, 20, 35], upper: [30, 40, 55] },
        ],
      },
    ],
    [],
    [],
  );
}
