/** GET /api/kpis (dashboards/kpis.ts): the KPI strip's data. */
export type Direction = 'above_is_bad' | 'below_is_bad';
export type KpiUnit = 'per_100_orders' | 'percent' | 'ratio' | 'minutes' | 'seconds' | 'unknown';

export interface SparkPoint {
  readonly at: string;
  readonly value: number | null;
}

export interface KpiView {
  readonly name: string;
  readonly label: string;
  readonly value: number | null;
  readonly unit: KpiUnit;
  readonly threshold: number | null;
  readonly thresholdKey: string | null;
  readonly direction: Direction;
  readonly crossed: boolean;
  readonly reason?: string;
  readonly detail?: string;
  readonly sparkline: readonly SparkPoint[];
}

export interface KpiAnswer {
  readonly at: string;
  readonly windowHours: number;
  readonly kpis: readonly KpiView[];
}
