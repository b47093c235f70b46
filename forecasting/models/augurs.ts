import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AutoETS, initSync as initEts } from '@bsull/augurs/ets';
import { initSync as initMstl, MSTL } from '@bsull/augurs/mstl';
import { clipAtZero } from './intervals.ts';
import type { Fitted, Forecast, History, Interval, Model } from './model.ts';

/**
 * MSTL and AutoETS from augurs (Rust compiled to WASM). In Node each module's WASM is loaded once with
 * its `initSync` and the bytes of the `*_bg.wasm` file that ships beside it.
 *
 * Both fit on the last `window` days only: the augurs optimiser's cost grows with the series length
 * (≈ 45 ms per MSTL fit at 730 days, ≈ 10 ms at 182 on this machine), and for daily operations the
 * last half-year carries the level, trend and weekly pattern that matter.
 */
export const DEFAULT_FIT_WINDOW = 182;
const WEEK = 7;

let initialised = false;

export function initAugurs(): void {
  if (initialised) return;
  const require = createRequire(import.meta.url);
  const wasmBeside = (specifier: string, file: string) =>
    readFileSync(path.join(path.dirname(require.resolve(specifier)), file));
  initMstl({ module: wasmBeside('@bsull/augurs/mstl', 'mstl_bg.wasm') });
  initEts({ module: wasmBeside('@bsull/augurs/ets', 'ets_bg.wasm') });
  initialised = true;
}

interface AugursForecaster {
  fit(y: Float64Array): void;
  predict(
    horizon: number,
    level?: number | null,
  ): {
    point: number[];
    intervals?: { level: number; lower: number[]; upper: number[] } | undefined;
  };
}

/**
 * The last fit on an uncleaned window per kind of augurs model: `mstl-raw` (no promo cleaning) right after
 * `mstl` on a window without promo days gets the same input, so it reuses that fit instead of paying again.
 */
const lastUncleaned = new Map<
  string,
  { buffer: ArrayBufferLike; offset: number; length: number; fitted: Fitted }
>();

function augursModel(
  name: string,
  create: () => AugursForecaster,
  minLength: number,
  window: number,
  kind: string,
  cleanPromo = true,
): Model {
  return {
    name,
    fit(history: History): Fitted {
      initAugurs();
      const from = window > 0 ? Math.max(0, history.values.length - window) : 0;
      const raw = history.values.subarray(from);
      const y = cleanPromo ? withoutPromoDays(raw, history.regressors.promo, from) : raw;
      if (y.length < minLength)
        throw new RangeError(`${name} needs at least ${minLength} days, got ${y.length}`);
      if (y.every((v) => v === y[0])) return constantFitted(y[0] ?? 0);
      const last = lastUncleaned.get(kind);
      if (y === raw && last?.buffer === y.buffer && last.offset === y.byteOffset && last.length === y.length)
        return last.fitted;
      // The WASM object is released by augurs' FinalizationRegistry once the Fitted is unreachable.
      const model = create();
      model.fit(y);
      const fitted: Fitted = {
        forecast(horizon, levels): Forecast {
          // augurs predicts one interval level per call.
          const point = model.predict(horizon, null).point;
          const intervals: Interval[] = [];
          for (const level of levels) {
            const p = model.predict(horizon, level / 100).intervals;
            if (p)
              intervals.push({ level, lower: Float64Array.from(p.lower), upper: Float64Array.from(p.upper) });
          }
          return clipAtZero({ mean: Float64Array.from(point), intervals });
        },
      };
      if (y === raw)
        lastUncleaned.set(kind, { buffer: y.buffer, offset: y.byteOffset, length: y.length, fitted });
      return fitted;
    },
  };
}

/**
 * Days flagged by the `promo` regressor (Black Friday in the built-in calendar) replaced by the median of
 * the same weekday one and two weeks either side (unflagged days only): MSTL otherwise learns a one-day
 * peak as a weekday effect and as trend, and repeats it every week after.
 */
export function withoutPromoDays(
  y: Float64Array,
  promo: Float64Array | undefined,
  offset: number,
): Float64Array {
  if (!promo) return y;
  const flagged = (i: number) => (promo[offset + i] ?? 0) !== 0;
  let cleaned: Float64Array | undefined;
  for (let i = 0; i < y.length; i++) {
    if (!flagged(i)) continue;
    const near = [-14, -7, 7, 14]
      .map((k) => i + k)
      .filter((j) => j >= 0 && j < y.length && !flagged(j))
      .map((j) => y[j] ?? 0)
      .sort((a, b) => a - b);
    if (near.length === 0) continue;
    cleaned ??= Float64Array.from(y);
    const mid = near.length >> 1;
    cleaned[i] = near.length % 2 ? (near[mid] ?? 0) : ((near[mid - 1] ?? 0) + (near[mid] ?? 0)) / 2;
  }
  return cleaned ?? y;
}

/**
 * A constant window (typically a quiet lane: all zeros) is forecast as that constant with zero-width
 * intervals, which is what both augurs models converge to, at a tenth of the cost (≈ 60 ms → 0).
 */
function constantFitted(value: number): Fitted {
  return {
    forecast(horizon, levels) {
      const mean = new Float64Array(horizon).fill(value);
      return {
        mean,
        intervals: levels.map((level) => ({ level, lower: mean.slice(), upper: mean.slice() })),
      };
    },
  };
}

/** MSTL with a weekly period; the trend-plus-remainder is forecast by AutoETS. */
export function mstlModel(window = DEFAULT_FIT_WINDOW, name = 'mstl', cleanPromo = true): Model {
  return augursModel(name, () => MSTL.ets([WEEK]), 2 * WEEK + 1, window, `mstl:${window}`, cleanPromo);
}

/** MSTL as augurs ships it: promo days left in (a peer for the served forecast, not in the default set). */
export function mstlRawModel(window = DEFAULT_FIT_WINDOW): Model {
  return mstlModel(window, 'mstl-raw', false);
}

/** AutoETS over the non-seasonal family (augurs does not fit seasonal ETS): level, trend, damping. */
export function etsModel(window = DEFAULT_FIT_WINDOW, name = 'ets'): Model {
  return augursModel(name, () => new AutoETS(1, 'ZZN'), 3, window, `ets:${window}`);
}
