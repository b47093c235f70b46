/** What the forecast desk reads from the planner API (forecasting/http-desk.ts and http.ts). */
export type Measure = 'committed' | 'shipped';

export interface Scores {
  readonly mape: number | null;
  readonly wape: number | null;
  readonly mase: number | null;
}

/** A lane's latest forecast run: when it ran, what it covers, the model it serves and that model's backtest. */
export interface LaneRun {
  readonly lane: string;
  readonly warehouse: string;
  readonly runId: string;
  readonly createdAt: string;
  readonly origin: string;
  readonly horizon: number;
  readonly model: string;
  readonly selectedModel: string | null;
  readonly backtestedAt: string | null;
}

export interface LaneSummary extends LaneRun {
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

export interface Series extends LaneRun {
  readonly measure: Measure;
  readonly historyDays: number;
  readonly levels: readonly number[];
  readonly ensembleWeights: Readonly<Record<string, number>>;
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
  /** forecast_delta (a lane moved) or forecast_mape (the live accuracy KPI crossed its threshold). */
  readonly kind?: string;
  /** forecast_mape: the network's live MAPE. */
  readonly value?: number | null;
}

/** GET /api/forecasts/live: the served forecast against its peers, scored as actuals arrive. */
export interface LiveComparison {
  readonly points: number;
  readonly served: number | null;
  readonly peers: readonly { readonly model: string; readonly wape: number | null }[];
  readonly bestPeer: string | null;
  /** 1 − served WAPE / best peer WAPE: positive when the served forecast is better. */
  readonly servedVsBestPeer: number | null;
  /** Band level → share of the days inside the served forecast's band. */
  readonly coverage: Readonly<Record<string, number>>;
}

export interface LiveAnswer {
  readonly window: { readonly from: string; readonly to: string; readonly maxStep: number } | null;
  readonly data: readonly (LiveComparison & { readonly lane: string; readonly warehouse: string })[];
}
