/** What the forecast desk reads from the planner API (forecasting/http-desk.ts and http.ts). */
export type Measure = 'committed' | 'shipped';

export interface Scores {
  readonly mape: number | null;
  readonly wape: number | null;
  readonly mase: number | null;
}

export interface LaneSummary {
  readonly lane: string;
  readonly warehouse: string;
  readonly runId: string;
  readonly createdAt: string;
  readonly origin: string;
  readonly horizon: number;
  readonly model: string;
  readonly selectedModel: string | null;
  readonly backtestedAt: string | null;
  readonly folds: number;
  readonly points: number;
  readonly accuracy: Scores | null;
  readonly baseline: (Scores & { readonly model: string }) | null;
  /** 1 − WAPE / seasonal naive's WAPE. */
  readonly skill: number | null;
}

export interface Paged<T> {
  readonly total: number;
  readonly nextPage: number | null;
  readonly data: readonly T[];
}

export interface Interval {
  readonly level: number;
  readonly lower: number;
  readonly upper: number;
}

export interface ForecastPoint {
  readonly date: string;
  readonly mean: number;
  readonly intervals: readonly Interval[];
}

export interface ModelAccuracy extends Scores {
  readonly model: string;
  readonly role: 'served' | 'selected' | 'baseline' | null;
  readonly folds: number;
  readonly points: number;
  readonly mapeSkippedZeros: number;
  readonly smape: number | null;
  readonly bias: number | null;
  readonly coverage: Readonly<Record<string, number | null>>;
}

export interface Series {
  readonly measure: Measure;
  readonly lane: string;
  readonly warehouse: string;
  readonly runId: string;
  readonly createdAt: string;
  readonly origin: string;
  readonly horizon: number;
  readonly historyDays: number;
  readonly levels: readonly number[];
  readonly model: string;
  readonly selectedModel: string | null;
  readonly ensembleWeights: Readonly<Record<string, number>>;
  readonly backtestedAt: string | null;
  readonly actuals: readonly { readonly date: string; readonly volume: number }[];
  readonly forecast: readonly ForecastPoint[];
  readonly accuracy: readonly ModelAccuracy[];
}

export interface ForecastAlert {
  readonly id: string;
  readonly createdAt: string;
  readonly lane: string;
  readonly warehouse: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly previousVolume: number;
  readonly newVolume: number;
  readonly change: number;
  readonly threshold: number;
  readonly direction: 'up' | 'down';
}
