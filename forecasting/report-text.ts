import { servedText } from './peers-text.ts';
import type { BacktestReport } from './report.ts';

/** The human view of a backtest: aggregate table per model, and the targets stated plainly. */
type Row = BacktestReport['aggregate']['allLanes']['metrics'][string];

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`;
const num = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));

export function metricsTable(metrics: Readonly<Record<string, Row>>, levels: readonly number[]): string {
  const header = [
    'model',
    'WAPE',
    'MAPE',
    'MASE',
    'sMAPE',
    'bias',
    ...levels.map((l) => `cov${l}`),
    ...levels.map((l) => `raw${l}`),
    'zeros skipped',
  ];
  const rows = Object.entries(metrics).map(([model, m]) => [
    model,
    pct(m.wape),
    pct(m.mape),
    num(m.mase),
    pct(m.smape),
    pct(m.bias),
    ...levels.map((l) => pct(m.coverage[String(l)])),
    ...levels.map((l) => pct(m.rawCoverage?.[String(l)])),
    `${m.mapeSkippedZeros}/${m.points}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function reportText(report: BacktestReport): string {
  const p = report.params;
  const out: string[] = [];
  out.push(
    `Backtest of ${report.data.series} series to ${report.data.lastDay}: horizon ${p.horizon} days, ${p.folds} folds (origins ${report.data.origins.join(', ')}), ${p.innerFolds} inner folds for selection`,
  );
  out.push(`Excluded from scoring: ${p.excludeWeeks.length > 0 ? p.excludeWeeks.join(', ') : 'nothing'}`);
  out.push(
    "Interval coverage: covNN = conformal bands (residuals at earlier origins), rawNN = the model's own intervals",
  );
  const target = report.aggregate.target;
  out.push(
    '',
    `Target set (${target.rule}): ${target.lanes.length} lanes${target.lanes.length ? `: ${target.lanes.join(', ')}` : ''}`,
  );
  out.push(metricsTable(target.metrics, p.levels));
  out.push(
    '',
    `All lanes (${report.aggregate.allLanes.lanes.length}):`,
    metricsTable(report.aggregate.allLanes.metrics, p.levels),
  );
  const total = report.aggregate.total;
  if (total) out.push('', `Total series (${p.totalLane}):`, metricsTable(total.metrics, p.levels));
  out.push('', 'Targets on the target set (aggregate WAPE):');
  for (const t of report.targets) {
    out.push(
      `  ${t.model}: WAPE ${pct(t.wape)}; seasonal naive ${pct(t.seasonalNaiveWape)} → ${pct(t.improvementOverSeasonalNaive)} better (target ≥ 30%: ${t.beatsSeasonalNaiveBy30Percent ? 'MET' : 'NOT MET'}); mstl ${pct(t.mstlWape)} (beat it: ${t.beatsMstl ? 'MET' : 'NOT MET'})`,
    );
  }
  out.push(...servedText(report));
  const fallbacks = Object.entries(report.fallbacks).filter(([, n]) => n > 0);
  if (fallbacks.length > 0) {
    out.push(
      '',
      `Fits that failed and used the moving average instead: ${fallbacks.map(([m, n]) => `${m} ${n}`).join(', ')}`,
    );
  }
  return `${out.join('\n')}\n`;
}
