/** GET /api/kpis (dashboards/kpis.ts): the KPI strip's data, in the server's own types. */
import type { KpiView } from '../../kpi-math.ts';

export type { Direction, KpiUnit, KpiView, SparkPoint } from '../../kpi-math.ts';

export interface KpiAnswer {
  readonly at: string;
  readonly windowHours: number;
  readonly kpis: readonly KpiView[];
}
