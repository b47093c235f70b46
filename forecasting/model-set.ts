import type { BacktestHooks, ModelSet } from './backtest.ts';
import { type GlobalTfOptions, globalTfModel } from './models/global-tf.ts';
import type { GlobalModel } from './models/model.ts';
import { type BaseModelName, isLocalModel, type LocalModelName, localModel } from './models/registry.ts';
import { workerRunner } from './worker-pool.ts';

/**
 * The models a run uses, built from names. The default set leaves out the augurs ETS: non-seasonal, it
 * scored no better than the moving average on the Olist development window, at ~12 ms per fit (it is
 * still available by name, and `bench/forecast-olist.ts` scores it side by side).
 */
export const DEFAULT_MODELS: readonly BaseModelName[] = [
  'naive',
  'seasonal-naive',
  'moving-average',
  'weekly-profile',
  'level-profile',
  'croston-sba',
  'mstl',
  'tf-global',
];

/** Below this many lanes, starting worker threads costs more than it saves. */
const MIN_LANES_FOR_WORKERS = 64;

export interface ModelSetOptions {
  readonly models: readonly BaseModelName[];
  readonly fitWindow: number;
  /** Worker threads for the per-lane models; 0 runs them in-process. */
  readonly threads: number;
  readonly lanes: number;
  readonly tf?: GlobalTfOptions;
}

export function buildModelSet(opts: ModelSetOptions): {
  models: ModelSet;
  hooks: Pick<BacktestHooks, 'runLocal'>;
} {
  const localNames = opts.models.filter((m): m is LocalModelName => isLocalModel(m));
  const global: GlobalModel[] = opts.models.includes('tf-global') ? [globalTfModel(opts.tf)] : [];
  const models: ModelSet = {
    local: localNames.map((n) => localModel(n, { fitWindow: opts.fitWindow })),
    global,
  };
  const useWorkers = opts.threads > 0 && opts.lanes >= MIN_LANES_FOR_WORKERS && localNames.length > 0;
  return {
    models,
    hooks: useWorkers
      ? { runLocal: workerRunner({ threads: opts.threads, models: localNames, fitWindow: opts.fitWindow }) }
      : {},
  };
}
