/** The KPI strip on every screen: built in its own files under kpi/. */
export function KpiStrip() {
  return <section class="kpis" aria-label="Key indicators" />;
}
