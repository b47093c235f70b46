import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backtestSeries } from '../forecasting/backtest-csv.ts';
import { parseDay } from '../forecasting/days.ts';
import { DEFAULT_MODELS, olistSeries, TOTAL_LANE } from '../forecasting/mod.ts';
import { ALL_MODELS } from '../forecasting/models/registry.ts';
import { readOlist } from '../forecasting/olist-files.ts';
import type { BacktestReport } from '../forecasting/report.ts';
import { truncate } from '../forecasting/series.ts';
import { writeResult } from './lib/results.ts';
import { peakRssMiB } from './lib/stats.ts';

/**
 * The acceptance run on Olist: lanes = seller state > customer state by purchase day, plus TOTAL;
 * H = 14, K = 4 test folds (2017-11-06 … 2017-12-31), 2 inner folds for per-lane selection/ensemble.
 * Every model runs side by side in one run; selection and the ensemble may only use the default set
 * (ETS is scored as a comparator). Run twice: as is, and with Black Friday week (2017-W47) left out of
 * scoring. A third, MSTL-only pass fits MSTL on the whole history instead of the last 182 days; a fourth
 * runs MSTL as augurs ships it, without the `promo` flag (so without our promo-day cleaning).
 * Prints the markdown tables of bench/RESULTS.md and writes bench/results/forecast-olist.json.
 * `--until 2017-11-05` cuts the data there: the development window the models were designed on (its
 * results go to forecast-olist-dev.json), so the acceptance folds above stayed unseen until the end.
 * Usage: node bin/run-ts.js bench/forecast-olist.ts [--data DIR] [--until YYYY-MM-DD]
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argValue = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const dataDir = argValue('--data') ?? path.resolve(repo, 'testdata/olist');
const untilText = argValue('--until');
const until = untilText === undefined ? undefined : parseDay(untilText);
if (untilText !== undefined && until === undefined)
  throw new Error(`--until: got ${untilText}, expected YYYY-MM-DD`);
const series = olistSeries(await readOlist(dataDir)).map((s) =>
  until === undefined ? s : truncate(s, Math.max(0, until - s.start + 1)),
);

const base = {
  horizon: 14,
  folds: 4,
  innerFolds: 2,
  levels: [80, 95],
  models: [...ALL_MODELS],
  candidates: [...DEFAULT_MODELS],
  fitWindow: 182,
  minTrainDays: 28,
  seed: 1,
  threads: 2,
  json: true,
  excludeWeeks: [] as string[],
  totalLane: TOTAL_LANE,
  targetMinVolume: 1,
};

async function run(
  label: string,
  opts: typeof base,
  input = series,
): Promise<{ report: BacktestReport; seconds: number }> {
  const started = performance.now();
  const { report } = await backtestSeries(input, opts);
  const seconds = (performance.now() - started) / 1000;
  console.error(`${label}: ${seconds.toFixed(1)} s`);
  return { report, seconds };
}

const plain = await run('all models', base);
const noPeak = await run('all models, 2017-W47 excluded', { ...base, excludeWeeks: ['2017-W47'] });
const mstlFull = await run('mstl on the whole history', {
  ...base,
  models: ['mstl'],
  candidates: ['mstl'],
  fitWindow: 0,
});

const withoutPromo = series.map(({ regressors: { promo: _promo, ...rest }, ...s }) => ({
  ...s,
  regressors: rest,
}));
const mstlRaw = await run(
  'mstl without promo-day cleaning',
  { ...base, models: ['mstl'], candidates: ['mstl'] },
  withoutPromo,
);

type Metrics = BacktestReport['aggregate']['allLanes']['metrics'][string];
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
const num = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(3));

function aggregateTable(
  metrics: Record<string, Metrics>,
  extra: [string, Metrics | undefined][] = [],
): string {
  const rows = Object.entries(metrics);
  const after = rows.findIndex(([m]) => m === 'mstl') + 1;
  const present = extra.flatMap(([name, m]) => (m ? [[name, m] as [string, Metrics]] : []));
  rows.splice(after, 0, ...present);
  const sn = metrics['seasonal-naive']?.wape ?? null;
  const lines = [
    '| model | WAPE | vs seasonal naive | MAPE (zero days skipped) | MASE | sMAPE | bias | 80% cover | 95% cover |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [model, m] of rows) {
    const vs = m.wape !== null && sn ? `${((1 - m.wape / sn) * 100).toFixed(1)}%` : '–';
    lines.push(
      `| ${model} | ${pct(m.wape)} | ${vs} | ${pct(m.mape)} (${m.mapeSkippedZeros}/${m.points}) | ${num(m.mase)} | ${pct(m.smape)} | ${pct(m.bias)} | ${pct(m.coverage['80'])} | ${pct(m.coverage['95'])} |`,
    );
  }
  return lines.join('\n');
}

function laneTable(report: BacktestReport, metric: 'wape' | 'mape' | 'mase'): string {
  const models = report.params.models.concat(['selected', 'ensemble']);
  const lines = [
    `| lane (mean/day) | ${models.join(' | ')} |`,
    `|---|${models.map(() => '---:').join('|')}|`,
  ];
  for (const key of [TOTAL_LANE, ...report.aggregate.top10]) {
    const lane = report.lanes.find((l) => l.key === key);
    if (!lane) continue;
    const cells = models.map((m) => {
      const v = lane.metrics[m]?.[metric];
      return metric === 'mase' ? num(v) : pct(v);
    });
    lines.push(`| ${key} (${lane.meanVolume.toFixed(2)}) | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function targetLines(report: BacktestReport, label: string): string {
  return report.targets
    .map(
      (t) =>
        `- ${label}, **${t.model}**: WAPE ${pct(t.wape)} vs seasonal naive ${pct(t.seasonalNaiveWape)} → ${pct(t.improvementOverSeasonalNaive)} better — target ≥ 30%: **${t.beatsSeasonalNaiveBy30Percent ? 'met' : 'NOT met'}**; vs augurs MSTL ${pct(t.mstlWape)}: **${t.beatsMstl ? 'beats it' : 'does NOT beat it'}**`,
    )
    .join('\n');
}

const mstlFullTarget = mstlFull.report.aggregate.target.metrics.mstl;
const mstlFullTotal = mstlFull.report.aggregate.total?.metrics.mstl;
const mstlRawTarget = mstlRaw.report.aggregate.target.metrics.mstl;
const mstlRawTotal = mstlRaw.report.aggregate.total?.metrics.mstl;

/** The served ensemble against MSTL as augurs ships it (the acceptance comparator before promo cleaning). */
function rawLine(report: BacktestReport): string {
  const served = report.aggregate.target.metrics.ensemble?.wape ?? Number.NaN;
  const selected = report.aggregate.target.metrics.selected?.wape ?? Number.NaN;
  const raw = mstlRawTarget?.wape ?? Number.NaN;
  return `- against augurs MSTL as shipped (no promo-day cleaning) at ${pct(raw)}: the served ensemble (${pct(served)}) ${served < raw ? 'beats' : 'does NOT beat'} it, per-lane selection (${pct(selected)}) ${selected < raw ? 'beats' : 'does NOT beat'} it`;
}

/** The best single model run side by side (baselines and classical, not the learned or combined ones). */
function strongest(report: BacktestReport, extra?: Metrics): string {
  const rows: [string, number][] = Object.entries(report.aggregate.target.metrics)
    .filter(([m]) => !['tf-global', 'selected', 'ensemble'].includes(m))
    .flatMap(([m, v]) => (v.wape === null ? [] : [[m, v.wape] as [string, number]]));
  if (extra?.wape != null) rows.push(['mstl (whole history)', extra.wape]);
  rows.sort((a, b) => a[1] - b[1]);
  const [name, wape] = rows[0] ?? ['–', Number.NaN];
  const served = report.aggregate.target.metrics.ensemble?.wape ?? Number.NaN;
  const selected = report.aggregate.target.metrics.selected?.wape ?? Number.NaN;
  return `- strongest single non-learned model side by side: **${name}** at ${pct(wape)}; the served ensemble (${pct(served)}) ${served < wape ? 'beats' : 'does NOT beat'} it, per-lane selection (${pct(selected)}) ${selected < wape ? 'beats' : 'does NOT beat'} it; MSTL on the whole history scores ${pct(extra?.wape)}`;
}

const md = [
  `Target set (lanes averaging ≥ 1 order/day): ${plain.report.aggregate.target.lanes.join(', ')}. Test folds start ${plain.report.data.origins.join(', ')}.`,
  '',
  '#### Targets',
  targetLines(plain.report, 'all weeks scored'),
  strongest(plain.report, mstlFullTarget),
  rawLine(plain.report),
  targetLines(noPeak.report, 'Black Friday week excluded'),
  '',
  '#### Target set, all weeks scored',
  aggregateTable(plain.report.aggregate.target.metrics, [
    ['mstl (whole history)', mstlFullTarget],
    ['mstl (no promo cleaning)', mstlRawTarget],
  ]),
  '',
  '#### Target set, Black Friday week (2017-W47) excluded from scoring',
  aggregateTable(noPeak.report.aggregate.target.metrics),
  '',
  `#### All ${plain.report.aggregate.allLanes.lanes.length} lanes (pooled; MASE = mean over lanes)`,
  aggregateTable(plain.report.aggregate.allLanes.metrics),
  '',
  '#### TOTAL (orders per day over all lanes)',
  aggregateTable(plain.report.aggregate.total?.metrics ?? {}, [
    ['mstl (whole history)', mstlFullTotal],
    ['mstl (no promo cleaning)', mstlRawTotal],
  ]),
  '',
  '#### TOTAL and the top 10 lanes by volume: WAPE',
  laneTable(plain.report, 'wape'),
  '',
  '#### TOTAL and the top 10 lanes: MAPE (days with zero orders skipped)',
  laneTable(plain.report, 'mape'),
  '',
  '#### TOTAL and the top 10 lanes: MASE',
  laneTable(plain.report, 'mase'),
].join('\n');

const pick = (r: BacktestReport) => ({
  params: r.params,
  origins: r.data.origins,
  targets: r.targets,
  aggregate: r.aggregate,
  top10: Object.fromEntries(
    r.aggregate.top10.map((key) => [key, r.lanes.find((l) => l.key === key)?.metrics ?? {}]),
  ),
  totalLane: r.lanes.find((l) => l.key === TOTAL_LANE)?.metrics ?? {},
  fallbacks: r.fallbacks,
  timingsMs: r.timingsMs,
});
const file = writeResult(until === undefined ? 'forecast-olist' : 'forecast-olist-dev', {
  until: untilText ?? null,
  reproduce:
    'node bin/dockside.js forecast olist-series --out olist.csv && node bin/dockside.js forecast backtest --series olist.csv --models all --candidates ' +
    DEFAULT_MODELS.join(',') +
    ' --json',
  seconds: {
    allModels: plain.seconds,
    excludedWeek: noPeak.seconds,
    mstlWholeHistory: mstlFull.seconds,
    mstlNoPromoCleaning: mstlRaw.seconds,
  },
  peakRssMiB: Math.round(peakRssMiB()),
  allWeeks: pick(plain.report),
  blackFridayWeekExcluded: pick(noPeak.report),
  mstlWholeHistory: { target: mstlFullTarget, total: mstlFullTotal },
  mstlNoPromoCleaning: { target: mstlRawTarget, total: mstlRawTotal },
  // The served forecast against its peers (naive, seasonal naive, 28-day mean, arima, mstl-raw), per data set.
  servedVsPeers: { allWeeks: plain.report.served, blackFridayWeekExcluded: noPeak.report.served },
});
console.log(md);
console.error(`→ ${file}`);
