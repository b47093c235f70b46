/**
 * The one model interface: `fit(history)` then `forecast(horizon, levels)`. Local models fit one lane at a
 * time; a global model first trains across all lanes (`GlobalModel.train`) and hands back a `Model`
 * whose `fit` only conditions on that lane's recent history.
 */
export interface History {
  /** Daily volumes, oldest first. */
  readonly values: Float64Array;
  /** Day number of values[0]. */
  readonly start: number;
  /** Regressors aligned with `values`; an array longer than `values` carries known future inputs. */
  readonly regressors: Readonly<Record<string, Float64Array>>;
}

export interface Interval {
  /** Nominal coverage in percent, e.g. 80 or 95. */
  readonly level: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export interface Forecast {
  readonly mean: Float64Array;
  readonly intervals: readonly Interval[];
}

export interface Fitted {
  forecast(horizon: number, levels: readonly number[]): Forecast;
}

export interface Model {
  readonly name: string;
  fit(history: History): Fitted;
  /** Fits many lanes at once when the model can batch them (the global model predicts in one pass). */
  fitMany?(histories: readonly History[]): Fitted[];
}

export interface GlobalTrainOptions {
  /** The longest horizon the trained model must forecast. */
  readonly horizon: number;
  readonly seed: number;
}

export interface GlobalModel {
  readonly name: string;
  train(histories: readonly History[], opts: GlobalTrainOptions): Promise<Model>;
  /** Releases what training holds (tensors, weights); the model must not be used after. */
  dispose?(): void;
}
