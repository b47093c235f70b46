import { arimaModel } from './arima.ts';
import { DEFAULT_FIT_WINDOW, etsModel, mstlModel, mstlRawModel } from './augurs.ts';
import { movingAverage, naive, seasonalNaive } from './baselines.ts';
import { crostonSba } from './croston.ts';
import { levelProfile } from './level-profile.ts';
import type { Model } from './model.ts';
import { GLOBAL_TF } from './names.ts';
import { weeklyProfile } from './weekly-profile.ts';

/** Per-lane models by name, so a worker thread can build the same set from names alone. */
export const LOCAL_MODELS = [
  'naive',
  'seasonal-naive',
  'moving-average',
  'weekly-profile',
  'level-profile',
  'croston-sba',
  'ets',
  'mstl',
  // Peers of the served forecast (not in the default set): automatic seasonal ARIMA, MSTL without cleaning.
  'arima',
  'mstl-raw',
] as const;
export type LocalModelName = (typeof LOCAL_MODELS)[number];

export const GLOBAL_MODELS = [GLOBAL_TF] as const;
/** Built from the others per lane by inner backtest folds (see combine.ts). */
export const COMBINED_MODELS = ['selected', 'ensemble'] as const;
export const ALL_MODELS = [...LOCAL_MODELS, ...GLOBAL_MODELS] as const;
export type BaseModelName = (typeof ALL_MODELS)[number];

export interface LocalModelOptions {
  /** Days the augurs models fit on (0 = the whole history). */
  readonly fitWindow: number;
}

export const DEFAULT_LOCAL_OPTIONS: LocalModelOptions = { fitWindow: DEFAULT_FIT_WINDOW };

export function isLocalModel(name: string): name is LocalModelName {
  return (LOCAL_MODELS as readonly string[]).includes(name);
}

export function isBaseModel(name: string): name is BaseModelName {
  return (ALL_MODELS as readonly string[]).includes(name);
}

export function localModel(name: LocalModelName, opts: LocalModelOptions = DEFAULT_LOCAL_OPTIONS): Model {
  switch (name) {
    case 'naive':
      return naive;
    case 'seasonal-naive':
      return seasonalNaive;
    case 'moving-average':
      return movingAverage;
    case 'weekly-profile':
      return weeklyProfile;
    case 'level-profile':
      return levelProfile;
    case 'croston-sba':
      return crostonSba;
    case 'ets':
      return etsModel(opts.fitWindow);
    case 'mstl':
      return mstlModel(opts.fitWindow);
    case 'arima':
      return arimaModel(opts.fitWindow);
    case 'mstl-raw':
      return mstlRawModel(opts.fitWindow);
  }
}
