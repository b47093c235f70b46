import type { Logger, Store } from '../core/mod.ts';
import type { ForecastAlert } from './alerts.ts';
import { type ForecastRunOptions, type ForecastRunSummary, runForecasts } from './forecast-run.ts';
import { DEFAULT_MODELS } from './model-set.ts';
import { DEFAULT_FIT_WINDOW } from './models/augurs.ts';

/**
 * The forecasting job `dockside up` runs: one run at start, then every `intervalMs`. Runs never overlap
 * (the next is scheduled when one ends), a failed run is logged and retried at the next tick, and
 * `stop()` waits for a run in progress to finish.
 */
export const DEFAULT_RUN_OPTIONS: ForecastRunOptions = {
  measure: 'committed',
  byWarehouse: false,
  horizon: 28,
  folds: 4,
  innerFolds: 2,
  levels: [80, 95],
  models: DEFAULT_MODELS,
  fitWindow: DEFAULT_FIT_WINDOW,
  minTrainDays: 28,
  seed: 1,
  // One worker: the augurs fits run off the event loop that also serves the pipeline and the API.
  threads: 1,
  historyDays: 730,
  asOf: 'today',
  alerts: { threshold: 0.2, minVolume: 5 },
};

export interface ForecastSchedulerDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly options?: Partial<ForecastRunOptions>;
  /** Called for each forecast-delta alert after it is stored (e.g. publish it for the dashboard). */
  readonly onAlert?: (alert: ForecastAlert) => Promise<void> | void;
  /** Called after each completed run (for logs, metrics, tests). */
  readonly onRun?: (summary: ForecastRunSummary) => void;
  /** Delay before the first run (default: right away). */
  readonly initialDelayMs?: number;
}

export interface ForecastScheduler {
  stop(): Promise<void>;
  /** Runs now (after any run in progress) and resolves with its summary. */
  runNow(): Promise<ForecastRunSummary | undefined>;
}

export function startForecastScheduler(deps: ForecastSchedulerDeps): ForecastScheduler {
  const options: ForecastRunOptions = { ...DEFAULT_RUN_OPTIONS, ...deps.options };
  const logger = deps.logger.child({ component: 'forecast-scheduler' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ForecastRunSummary | undefined> = Promise.resolve(undefined);
  let stopped = false;

  const runOnce = (): Promise<ForecastRunSummary | undefined> => {
    running = running.then(async () => {
      if (stopped) return undefined;
      try {
        const summary = await runForecasts(options, {
          store: deps.store,
          logger,
          ...(deps.onAlert ? { onAlert: deps.onAlert } : {}),
        });
        deps.onRun?.(summary);
        return summary;
      } catch (err) {
        logger.error({ err }, 'forecast run failed; next attempt at the next interval');
        return undefined;
      }
    });
    return running;
  };
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().then(() => schedule(deps.intervalMs));
    }, delay);
  };
  schedule(deps.initialDelayMs ?? 0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    runNow: () => runOnce(),
  };
}
