/**
 * Seasonal ARIMA(p,d,q)(P,D,Q)s fitted by conditional sum of squares (CSS), the estimator `auto.arima`
 * uses for order search (Hyndman & Khandakar 2008, J. Stat. Softw. 27(3)). Conventions as R's `arima`:
 *
 *   φ(B)Φ(Bˢ)(w_t − μ) = θ(B)Θ(Bˢ)e_t,   w = (1 − B)ᵈ(1 − Bˢ)ᴰ y,
 *   φ(B) = 1 − φ₁B − …,   θ(B) = 1 + θ₁B + …,
 *
 * μ is the mean of w when the model has a constant (a drift when d + D = 1), else 0. Parameters are
 * kept stationary and invertible factor by factor (orders ≤ 2), so the product is too.
 */
export interface ArimaOrder {
  readonly p: number;
  readonly d: number;
  readonly q: number;
  readonly P: number;
  readonly D: number;
  readonly Q: number;
  readonly s: number;
  readonly constant: boolean;
}

export interface ArimaFit {
  readonly order: ArimaOrder;
  readonly ar: readonly number[];
  readonly ma: readonly number[];
  readonly sar: readonly number[];
  readonly sma: readonly number[];
  readonly mean: number;
  /** Innovation variance SS / n (n = residuals summed). */
  readonly sigma2: number;
  /** Residuals counted in the CSS (the first ones are conditioned on). */
  readonly n: number;
  readonly aicc: number;
  /** The series the model was fitted to (original scale). */
  readonly y: Float64Array;
  /** w after differencing, and the CSS residuals aligned with it (0 before the first one summed). */
  readonly w: Float64Array;
  readonly residuals: Float64Array;
}

/** Coefficients of a polynomial, c[0] = 1: c(B) = Σ c_k Bᵏ. */
type Poly = number[];

const multiply = (a: Poly, b: Poly): Poly => {
  const out = new Array<number>(a.length + b.length - 1).fill(0);
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) out[i + j] = (out[i + j] ?? 0) + (a[i] ?? 0) * (b[j] ?? 0);
  return out;
};

/** 1 + sign·(c₁B^step + c₂B^2step + …). */
function factor(coefs: readonly number[], sign: 1 | -1, step: number): Poly {
  const out = new Array<number>(coefs.length * step + 1).fill(0);
  out[0] = 1;
  coefs.forEach((c, i) => {
    out[(i + 1) * step] = sign * c;
  });
  return out;
}

export function differencingPoly(d: number, D: number, s: number): Poly {
  let poly: Poly = [1];
  for (let i = 0; i < d; i++) poly = multiply(poly, [1, -1]);
  for (let i = 0; i < D; i++) poly = multiply(poly, factor([1], -1, s));
  return poly;
}

/** w = δ(B) y, dropping the first deg(δ) values. */
export function difference(y: Float64Array, d: number, D: number, s: number): Float64Array {
  const delta = differencingPoly(d, D, s);
  const k = delta.length - 1;
  const out = new Float64Array(Math.max(0, y.length - k));
  for (let t = k; t < y.length; t++) {
    let v = 0;
    for (let j = 0; j <= k; j++) v += (delta[j] ?? 0) * (y[t - j] ?? 0);
    out[t - k] = v;
  }
  return out;
}

interface Split {
  readonly ar: readonly number[];
  readonly ma: readonly number[];
  readonly sar: readonly number[];
  readonly sma: readonly number[];
  readonly mean: number;
}

function split(theta: readonly number[], o: ArimaOrder, fixedMean: number): Split {
  let i = 0;
  const take = (n: number) => {
    const out = theta.slice(i, i + n);
    i += n;
    return out;
  };
  const ar = take(o.p);
  const ma = take(o.q);
  const sar = take(o.P);
  const sma = take(o.Q);
  return { ar, ma, sar, sma, mean: o.constant ? (theta[i] ?? 0) : fixedMean };
}

/** Expanded AR and MA polynomials of the ARMA part (leading 1). */
function armaPolys(x: Split, s: number): { ar: Poly; ma: Poly } {
  return {
    ar: multiply(factor(x.ar, -1, 1), factor(x.sar, -1, s)),
    ma: multiply(factor(x.ma, 1, 1), factor(x.sma, 1, s)),
  };
}

/**
 * Lags and coefficients of φ(B)Φ(Bˢ) (sign −1, as subtracted AR terms) or θ(B)Θ(Bˢ) (sign +1), read from
 * theta[r .. r+nr) (regular) and theta[q .. q+nq) (seasonal) without allocating: this runs per evaluation.
 */
function expandInto(
  theta: ArrayLike<number>,
  r: number,
  nr: number,
  q: number,
  nq: number,
  sign: 1 | -1,
  s: number,
  lags: Int32Array,
  coefs: Float64Array,
): number {
  // (1 + sign·Σ a_i Bⁱ)(1 + sign·Σ b_j B^{sj}) = 1 + sign·Σa_i Bⁱ + sign·Σb_j B^{sj} + Σ a_i b_j B^{i+sj}.
  let n = 0;
  for (let i = 0; i < nr; i++) {
    lags[n] = i + 1;
    coefs[n++] = theta[r + i] as number;
  }
  for (let j = 0; j < nq; j++) {
    const b = theta[q + j] as number;
    lags[n] = (j + 1) * s;
    coefs[n++] = b;
    for (let i = 0; i < nr; i++) {
      lags[n] = i + 1 + (j + 1) * s;
      coefs[n++] = sign * (theta[r + i] as number) * b;
    }
  }
  return n;
}

// Scratch space for the expanded polynomials (at most p + P + pP = 5 terms each): one fit at a time per thread.
const arLags = new Int32Array(8);
const arCoef = new Float64Array(8);
const maLags = new Int32Array(8);
const maCoef = new Float64Array(8);

/**
 * CSS residuals of w for parameters laid out as [φ…, θ…, Φ…, Θ…, μ?] (into `out`); returns Σe² over
 * t ≥ scoreFrom. With c_k the expanded AR terms: w_t − μ = Σ c_k (w_{t−k} − μ) + e_t + Σ m_k e_{t−k}.
 */
function cssResiduals(
  w: Float64Array,
  theta: ArrayLike<number>,
  o: ArimaOrder,
  out: Float64Array,
  scoreFrom = 0,
): number {
  const nAr = expandInto(theta, 0, o.p, o.p + o.q, o.P, -1, o.s, arLags, arCoef);
  const nMa = expandInto(theta, o.p, o.q, o.p + o.q + o.P, o.Q, 1, o.s, maLags, maCoef);
  const start = o.p + o.s * o.P;
  const mu = o.constant ? (theta[o.p + o.q + o.P + o.Q] as number) : 0;
  out.fill(0);
  let ss = 0;
  for (let t = start; t < w.length; t++) {
    let e = (w[t] as number) - mu;
    for (let j = 0; j < nAr; j++)
      e -= (arCoef[j] as number) * ((w[t - (arLags[j] as number)] as number) - mu);
    for (let j = 0; j < nMa; j++) {
      const lag = t - (maLags[j] as number);
      if (lag >= start) e -= (maCoef[j] as number) * (out[lag] as number);
    }
    out[t] = e;
    if (t >= scoreFrom) ss += e * e;
  }
  return ss;
}

/** Stationary (AR, sign −1) or invertible (MA, sign +1): the factor theta[at .. at+n), n ≤ 2. */
function admissibleAt(theta: ArrayLike<number>, at: number, n: number, sign: 1 | -1): boolean {
  if (n === 0) return true;
  const LIMIT = 0.995;
  // Written as 1 − a₁x − a₂x²: the AR triangle.
  const a1 = -sign * (theta[at] as number);
  if (n === 1) return Math.abs(a1) < LIMIT;
  const a2 = -sign * (theta[at + 1] as number);
  return Math.abs(a2) < LIMIT && a1 + a2 < LIMIT && a2 - a1 < LIMIT;
}

/** Starting values and effort of one fit (the order search uses rough fits warm-started from the best). */
export interface FitControl {
  readonly init?: Partial<Pick<ArimaFit, 'ar' | 'ma' | 'sar' | 'sma' | 'mean'>>;
  /** Objective evaluations per parameter (+1). */
  readonly evalsPerParam?: number;
  readonly tolerance?: number;
  /**
   * Residuals summed from this index of w on (at least from the AR order on), so that candidate orders
   * compared by AICc are scored on the same days (auto.arima's CSS search has the same concern).
   */
  readonly scoreFrom?: number;
}

const padded = (from: readonly number[] | undefined, n: number) =>
  Array.from({ length: n }, (_, i) => from?.[i] ?? 0);

/** Fits one order by CSS (Nelder–Mead on the coefficients and, with a constant, the mean). */
export function fitArima(y: Float64Array, order: ArimaOrder, control: FitControl = {}): ArimaFit {
  const w = difference(y, order.d, order.D, order.s);
  const start = Math.max(order.p + order.s * order.P, control.scoreFrom ?? 0);
  const n = w.length - start;
  const k = order.p + order.q + order.P + order.Q + (order.constant ? 1 : 0);
  if (n < k + 3) throw new RangeError(`arima: ${y.length} days are too few for this order`);
  let wMean = 0;
  for (const v of w) wMean += v;
  wMean /= w.length || 1;
  const residuals = new Float64Array(w.length);
  const { p, q, P, Q } = order;
  const objective = (theta: readonly number[]) => {
    if (
      !admissibleAt(theta, 0, p, -1) ||
      !admissibleAt(theta, p, q, 1) ||
      !admissibleAt(theta, p + q, P, -1) ||
      !admissibleAt(theta, p + q + P, Q, 1)
    )
      return Number.POSITIVE_INFINITY;
    return cssResiduals(w, theta, order, residuals, start);
  };
  const c = control.init;
  const zeros = [
    ...new Array<number>(k - (order.constant ? 1 : 0)).fill(0),
    ...(order.constant ? [wMean] : []),
  ];
  const warm = [
    ...padded(c?.ar, order.p),
    ...padded(c?.ma, order.q),
    ...padded(c?.sar, order.P),
    ...padded(c?.sma, order.Q),
    ...(order.constant ? [c?.mean ?? wMean] : []),
  ];
  const init = c && Number.isFinite(objective(warm)) ? warm : zeros;
  let wSd = 0;
  for (const v of w) wSd += (v - wMean) ** 2;
  wSd = Math.sqrt(wSd / Math.max(1, w.length - 1)) || 1;
  const steps = init.map((_, i) => (order.constant && i === k - 1 ? 0.1 * wSd : 0.1));
  const evals = (control.evalsPerParam ?? 60) * (k + 1);
  const best = k === 0 ? [] : nelderMead(objective, init, steps, evals, control.tolerance ?? 1e-8);
  const x = split(best, order, 0);
  const ss = cssResiduals(w, best, order, residuals, start);
  const sigma2 = ss / n;
  // Gaussian log-likelihood at the CSS estimate; parameters counted as in auto.arima (+1 for σ²).
  const logLik = -0.5 * n * (Math.log(2 * Math.PI * Math.max(sigma2, 1e-12)) + 1);
  const npar = k + 1;
  const aicc = -2 * logLik + 2 * npar + (2 * npar * (npar + 1)) / Math.max(1, n - npar - 1);
  return { order, ...x, sigma2, n, aicc, y, w, residuals };
}

/** Point forecasts and forecast standard deviations for h = 1..horizon. */
export function forecastArima(fit: ArimaFit, horizon: number): { mean: Float64Array; sd: Float64Array } {
  const { order } = fit;
  const { ar, ma } = armaPolys(fit, order.s);
  const w = Array.from(fit.w);
  const e = Array.from(fit.residuals);
  const mu = fit.mean;
  for (let h = 0; h < horizon; h++) {
    const t = w.length;
    let v = mu;
    for (let k = 1; k < ar.length; k++) v -= (ar[k] ?? 0) * ((w[t - k] ?? mu) - mu);
    for (let k = 1; k < ma.length; k++) v += (ma[k] ?? 0) * (e[t - k] ?? 0);
    w.push(v);
    e.push(0);
  }
  // Undo the differencing: y_t = w_t − Σ_{k≥1} δ_k y_{t−k}.
  const delta = differencingPoly(order.d, order.D, order.s);
  const y = Array.from(fit.y);
  const mean = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    let v = w[fit.w.length + h] ?? 0;
    for (let k = 1; k < delta.length; k++) v -= (delta[k] ?? 0) * (y[y.length - k] ?? 0);
    y.push(v);
    mean[h] = v;
  }
  // ψ weights of m(B) / (a(B)δ(B)): Var(h) = σ² Σ_{j<h} ψ_j².
  const full = multiply(ar, delta);
  const psi = [1];
  for (let j = 1; j < horizon; j++) {
    let v = ma[j] ?? 0;
    for (let k = 1; k <= Math.min(j, full.length - 1); k++) v -= (full[k] ?? 0) * (psi[j - k] ?? 0);
    psi.push(v);
  }
  const sd = new Float64Array(horizon);
  let acc = 0;
  for (let h = 0; h < horizon; h++) {
    acc += (psi[h] ?? 0) ** 2;
    sd[h] = Math.sqrt(fit.sigma2 * acc);
  }
  return { mean, sd };
}

/** Nelder–Mead simplex minimiser (standard coefficients 1, 2, 0.5, 0.5). */
export function nelderMead(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  steps: readonly number[],
  maxEvals: number,
  tolerance = 1e-8,
): number[] {
  const k = x0.length;
  const simplex: number[][] = [x0.slice()];
  for (let i = 0; i < k; i++) {
    const x = x0.slice();
    x[i] = (x[i] ?? 0) + (steps[i] ?? 0.1);
    simplex.push(x);
  }
  let values = simplex.map(f);
  let evals = simplex.length;
  const order = () => {
    const idx = simplex.map((_, i) => i).sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
    const s = idx.map((i) => simplex[i] as number[]);
    values = idx.map((i) => values[i] ?? Number.POSITIVE_INFINITY);
    simplex.splice(0, simplex.length, ...s);
  };
  const along = (centroid: number[], worst: number[], t: number) =>
    centroid.map((c, i) => c + t * (c - (worst[i] ?? 0)));
  while (evals < maxEvals) {
    order();
    const bestV = values[0] ?? 0;
    const worstV = values[k] ?? 0;
    if (Number.isFinite(worstV) && Math.abs(worstV - bestV) <= tolerance * (Math.abs(bestV) + tolerance))
      break;
    const centroid = new Array<number>(k).fill(0);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) centroid[j] = (centroid[j] ?? 0) + (simplex[i]?.[j] ?? 0) / k;
    const worst = simplex[k] as number[];
    const reflected = along(centroid, worst, 1);
    const fr = f(reflected);
    evals++;
    if (fr < bestV) {
      const expanded = along(centroid, worst, 2);
      const fe = f(expanded);
      evals++;
      simplex[k] = fe < fr ? expanded : reflected;
      values[k] = Math.min(fe, fr);
    } else if (fr < (values[k - 1] ?? 0)) {
      simplex[k] = reflected;
      values[k] = fr;
    } else {
      const contracted = along(centroid, worst, fr < worstV ? 0.5 : -0.5);
      const fc = f(contracted);
      evals++;
      if (fc < Math.min(fr, worstV)) {
        simplex[k] = contracted;
        values[k] = fc;
      } else {
        const best = simplex[0] as number[];
        for (let i = 1; i <= k; i++) {
          simplex[i] = best.map((b, j) => b + 0.5 * ((simplex[i]?.[j] ?? 0) - b));
          values[i] = f(simplex[i] as number[]);
          evals++;
        }
      }
    }
  }
  order();
  return simplex[0] as number[];
}
