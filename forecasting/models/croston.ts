import { normalIntervals, residualSd } from './intervals.ts';
import type { Fitted, History, Model } from './model.ts';

/**
 * Croston's method with the Syntetos–Boylan correction (SBA) for intermittent demand: most lanes ship
 * nothing on most days, where smoothing the raw series chases zeros. It smooths the non-zero demand
 * sizes and the intervals between them separately; the forecast is a flat rate (1 − α/2)·size/interval.
 */
const ALPHA = 0.1;
const RESIDUAL_DAYS = 91;

export const crostonSba: Model = {
  name: 'croston-sba',
  fit(history: History): Fitted {
    const y = history.values;
    const first = y.findIndex((v) => v > 0);
    let rate = 0;
    const residuals: number[] = [];
    if (first >= 0) {
      let size = y[first] ?? 0;
      let interval = first + 1;
      let sinceLast = 1;
      const fromResiduals = y.length - RESIDUAL_DAYS;
      for (let t = first + 1; t < y.length; t++) {
        const v = y[t] ?? 0;
        if (t >= fromResiduals) residuals.push(v - (1 - ALPHA / 2) * (size / interval));
        if (v > 0) {
          size += ALPHA * (v - size);
          interval += ALPHA * (sinceLast - interval);
          sinceLast = 1;
        } else {
          sinceLast++;
        }
      }
      rate = (1 - ALPHA / 2) * (size / interval);
    }
    const sigma = residualSd(residuals);
    return {
      forecast(horizon, levels) {
        const mean = new Float64Array(horizon).fill(rate);
        return { mean, intervals: normalIntervals(mean, new Array<number>(horizon).fill(sigma), levels) };
      },
    };
  },
};
