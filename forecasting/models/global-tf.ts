import type * as TfModule from '@tensorflow/tfjs';
import { seededRandom } from '../../core/mod.ts';
import {
  activeRegressors,
  baseline,
  type FeatureLayout,
  featureLayout,
  LAGS,
  levelBefore,
  writeFeatures,
} from './features.ts';
import { residualIntervals } from './intervals.ts';
import type { Fitted, Forecast, GlobalModel, GlobalTrainOptions, History, Model } from './model.ts';
import { GLOBAL_TF } from './names.ts';
import { loadTf, type Tf } from './tf-backend.ts';

/**
 * A global model in TensorFlow.js: one small network trained on windows from every lane (lags, weekday,
 * regressors, all divided by each lane's level), predicting the next `horizon` days at once as a
 * correction to the weekday baseline. Small lanes borrow the weekly shape and dynamics of big ones.
 *
 * Training is reproducible: seeded initialisers, our own seeded sampling and shuffling.
 * Re-training at a later origin fine-tunes the previous weights (they only ever saw older data, so a
 * rolling backtest stays honest) instead of starting over.
 */
export interface GlobalTfOptions {
  readonly maxSamples?: number;
  readonly epochs?: number;
  readonly fineTuneEpochs?: number;
  readonly batchSize?: number;
  readonly hidden?: readonly [number, number];
  readonly learningRate?: number;
  /** Training windows start at most this many days before the origin. */
  readonly recentDays?: number;
}

const DEFAULTS = {
  maxSamples: 12_288,
  epochs: 6,
  fineTuneEpochs: 2,
  batchSize: 256,
  hidden: [64, 32] as const,
  learningRate: 0.003,
  recentDays: 365,
};
/** Scaled targets above this are clipped: a one-day spike must not dominate the fit. */
const MAX_SCALED_TARGET = 20;
/** In-sample windows per lane used for its residual intervals. */
const RESIDUAL_WINDOWS = 4;

export { GLOBAL_TF };

export function globalTfModel(
  options: GlobalTfOptions = {},
): GlobalModel & { backend(): string | undefined } {
  const o = { ...DEFAULTS, ...options };
  let tf: Tf | undefined;
  let backendName: string | undefined;
  let net: TfModule.Sequential | undefined;
  let layout: FeatureLayout | undefined;
  let trainedUntil = Number.NEGATIVE_INFINITY;

  return {
    name: GLOBAL_TF,
    backend: () => backendName,
    dispose() {
      release(net);
      net = undefined;
    },
    async train(histories: readonly History[], opts: GlobalTrainOptions): Promise<Model> {
      const loaded = await loadTf();
      tf = loaded.tf;
      backendName = loaded.backend;
      const origin = histories.reduce(
        (m, h) => Math.max(m, h.start + h.values.length),
        Number.NEGATIVE_INFINITY,
      );
      const names = [...new Set(histories.flatMap((h) => Object.keys(h.regressors)))].sort();
      const wanted = featureLayout(opts.horizon, names);
      const fresh = !net || !layout || !sameLayout(layout, wanted) || origin < trainedUntil;
      if (fresh) {
        release(net);
        net = buildNet(tf, wanted, o.hidden, opts.seed, o.learningRate);
        layout = wanted;
      }
      const current = net;
      if (!current) throw new Error('global model was not built');
      const trainLayout: FeatureLayout = { ...wanted, active: activeRegressors(histories, names) };
      const samples = sampleWindows(histories, trainLayout, o.maxSamples, o.recentDays, opts.seed + origin);
      if (samples.count > 0) {
        const t = tf;
        const xs = t.tensor2d(samples.x, [samples.count, wanted.size]);
        const ys = t.tensor2d(samples.y, [samples.count, wanted.horizon]);
        try {
          await current.fit(xs, ys, {
            epochs: fresh ? o.epochs : o.fineTuneEpochs,
            batchSize: o.batchSize,
            shuffle: false,
            verbose: 0,
          });
        } finally {
          xs.dispose();
          ys.dispose();
        }
      }
      trainedUntil = origin;
      const predictor = predictorFor(requireTf(tf), current, trainLayout);
      return {
        name: GLOBAL_TF,
        fit: (history) => predictor([history])[0] ?? zeroFitted(),
        fitMany: predictor,
      };
    },
  };
}

function requireTf(tf: Tf | undefined): Tf {
  if (!tf) throw new Error('TensorFlow.js is not loaded');
  return tf;
}

/** Disposes the network and its optimizer's slots (model.dispose() leaves the Adam moments behind). */
function release(net: TfModule.Sequential | undefined): void {
  if (!net) return;
  net.optimizer?.dispose();
  net.dispose();
}

function sameLayout(a: FeatureLayout, b: FeatureLayout): boolean {
  return a.horizon === b.horizon && a.regressors.join('\u0000') === b.regressors.join('\u0000');
}

function buildNet(
  tf: Tf,
  layout: FeatureLayout,
  hidden: readonly [number, number],
  seed: number,
  learningRate: number,
): TfModule.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 31 + k });
  const net = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [layout.size],
        units: hidden[0],
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({ units: hidden[1], activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: layout.horizon, kernelInitializer: init(3) }),
    ],
  });
  // Huber: squared error near the target, absolute error far from it, so peak days do not steer the fit.
  net.compile({
    optimizer: tf.train.adam(learningRate),
    loss: (yTrue, yPred) => tf.losses.huberLoss(yTrue, yPred),
  });
  return net;
}

interface Samples {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly count: number;
}

/**
 * Draws training windows whose targets all lie before each lane's end: lanes are drawn with probability
 * ∝ sqrt(level) (big lanes matter more to the volume-weighted error, small ones still get seen), then a
 * window start uniformly in the lane's recent past.
 */
function sampleWindows(
  histories: readonly History[],
  layout: FeatureLayout,
  maxSamples: number,
  recentDays: number,
  seed: number,
): Samples {
  const H = layout.horizon;
  const lanes: { h: History; from: number; to: number; weight: number }[] = [];
  let candidates = 0;
  for (const h of histories) {
    const n = h.values.length;
    const to = n - H;
    const from = Math.max(LAGS, to - recentDays);
    const level = levelBefore(h.values, n) + levelBefore(h.values, Math.max(0, n - 56));
    if (to < from || level <= 0) continue;
    lanes.push({ h, from, to, weight: Math.sqrt(level) });
    candidates += to - from + 1;
  }
  const count = Math.min(maxSamples, candidates);
  const x = new Float32Array(count * layout.size);
  const y = new Float32Array(count * H);
  if (count === 0) return { x, y, count: 0 };
  const cumulative: number[] = [];
  let total = 0;
  for (const l of lanes) {
    total += l.weight;
    cumulative.push(total);
  }
  const random = seededRandom(seed);
  const base = new Float32Array(H);
  let filled = 0;
  for (let attempt = 0; filled < count && attempt < count * 20; attempt++) {
    const lane = lanes[upperBound(cumulative, random() * total)];
    if (!lane) continue;
    const t = lane.from + Math.floor(random() * (lane.to - lane.from + 1));
    const scale = levelBefore(lane.h.values, t);
    if (scale <= 0) continue;
    writeFeatures(lane.h, t, scale, layout, x, filled * layout.size);
    baseline(lane.h.values, t, scale, H, base);
    for (let k = 0; k < H; k++) {
      const target = Math.min((lane.h.values[t + k] ?? 0) / scale, MAX_SCALED_TARGET);
      y[filled * H + k] = target - (base[k] ?? 0);
    }
    filled++;
  }
  return { x: x.subarray(0, filled * layout.size), y: y.subarray(0, filled * H), count: filled };
}

function upperBound(cumulative: readonly number[], value: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] ?? 0) > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface Row {
  readonly lane: number;
  readonly t: number;
  readonly scale: number;
}

/** Predicts every lane's forecast and its in-sample residual windows in one batched forward pass. */
function predictorFor(tf: Tf, net: TfModule.Sequential, layout: FeatureLayout) {
  return (histories: readonly History[]): Fitted[] => {
    const H = layout.horizon;
    const rows: Row[] = [];
    histories.forEach((h, lane) => {
      const n = h.values.length;
      const scale = levelBefore(h.values, n);
      if (scale <= 0) return;
      rows.push({ lane, t: n, scale });
      for (let j = 0; j < RESIDUAL_WINDOWS; j++) {
        const t = n - H - 7 * j;
        const s = levelBefore(h.values, t);
        if (t >= LAGS && s > 0) rows.push({ lane, t, scale: s });
      }
    });
    const out = new Float32Array(rows.length * H);
    if (rows.length > 0) {
      const x = new Float32Array(rows.length * layout.size);
      rows.forEach((r, i) => {
        const h = histories[r.lane];
        if (h) writeFeatures(h, r.t, r.scale, layout, x, i * layout.size);
      });
      const predicted = tf.tidy(() => {
        const result = net.predict(tf.tensor2d(x, [rows.length, layout.size]));
        return Array.isArray(result) ? result[0] : result;
      });
      if (predicted) {
        out.set(predicted.dataSync());
        predicted.dispose();
      }
    }
    const forecasts = new Map<number, Float64Array>();
    const residuals = new Map<number, number[]>();
    const base = new Float32Array(H);
    rows.forEach((r, i) => {
      const h = histories[r.lane];
      if (!h) return;
      baseline(h.values, r.t, r.scale, H, base);
      const mean = new Float64Array(H);
      for (let k = 0; k < H; k++) mean[k] = Math.max(0, ((out[i * H + k] ?? 0) + (base[k] ?? 0)) * r.scale);
      if (r.t === h.values.length) {
        forecasts.set(r.lane, mean);
        return;
      }
      let list = residuals.get(r.lane);
      if (!list) {
        list = [];
        residuals.set(r.lane, list);
      }
      for (let k = 0; k < H; k++) list.push((h.values[r.t + k] ?? 0) - (mean[k] ?? 0));
    });
    return histories.map((_, lane) => {
      const mean = forecasts.get(lane);
      if (!mean) return zeroFitted();
      const res = residuals.get(lane) ?? [];
      return {
        forecast(horizon: number, levels: readonly number[]): Forecast {
          if (horizon > H)
            throw new RangeError(`${GLOBAL_TF} was trained for horizon ${H}, asked for ${horizon}`);
          const m = mean.slice(0, horizon);
          return { mean: m, intervals: residualIntervals(m, res, levels) };
        },
      };
    });
  };
}

/** A lane with no volume in its recent past: forecast zero, with zero-width intervals. */
function zeroFitted(): Fitted {
  return {
    forecast(horizon, levels) {
      const mean = new Float64Array(horizon);
      return { mean, intervals: levels.map((level) => ({ level, lower: mean, upper: mean })) };
    },
  };
}
