import { backtestSeries } from '../forecasting/backtest-csv.ts';
import { PEER_MODELS, SERVED } from '../forecasting/peers.ts';
import { OLIST_ROLLING_OPTIONS, olistFromArgs } from './lib/olist-rolling.ts';
import { writeResult } from './lib/results.ts';

/**
 * The served forecast against its peers on Olist, on the rolling schedule (`forecast backtest --rolling`:
 * an origin every 7 days over the last 26 weeks, H = 14, 2 inner windows per origin): per data set, each
 * method's WAPE median and quartiles over origins and the share of origins the served forecast wins.
 * `--until 2017-11-05` ends the data where the development window ends.
 * Usage: node bin/run-ts.js bench/forecast-olist-rolling.ts [--data DIR] [--until YYYY-MM-DD]
 */
const { series, untilText } = await olistFromArgs();

const started = performance.now();
const { report } = await backtestSeries(series, OLIST_ROLLING_OPTIONS);
const seconds = (performance.now() - started) / 1000;
const rolling = report.rolling;
if (!rolling) throw new Error('the rolling report is missing');

const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
const methods = ['ensemble', ...PEER_MODELS];
const lines: string[] = [
  `Olist rolling, ${rolling.origins.length} origins ${rolling.step} days apart (${rolling.origins[0]} … ${rolling.origins.at(-1)}), H = ${rolling.horizon}; ${seconds.toFixed(1)} s`,
  '',
  `| data set | ${methods.map((m) => (m === 'ensemble' ? 'served (ensemble)' : m)).join(' | ')} |`,
  `| --- | ${methods.map(() => '---:').join(' | ')} |`,
];
for (const [name, set] of Object.entries(rolling.dataSets)) {
  const cell = (m: string) => {
    const d = set.distribution[m];
    const beats = set.servedBeats[m];
    return `${pct(d?.median)} [${pct(d?.p25)}–${pct(d?.p75)}]${beats === undefined ? '' : `, served wins ${pct(beats)}`}`;
  };
  lines.push(`| ${name} (${set.lanes}) | ${methods.map(cell).join(' | ')} |`);
}
lines.push('', 'Pooled over all rolling origins (servedVsBestPeer):');
for (const [name, set] of Object.entries(report.served.dataSets))
  lines.push(
    `- ${name}: served ${pct(set.wape.served)}, best peer ${set.bestPeer} ${pct(set.bestPeer ? set.wape[set.bestPeer] : null)} → ${pct(set.servedVsBestPeer)} (${set.meetsTarget ? 'met' : 'NOT met'})`,
  );
// The served bands' coverage pooled over every rolling origin (each banded from earlier origins only).
const agg = report.aggregate;
const coverage = {
  target: agg.target.metrics[SERVED]?.coverage ?? null,
  allLanes: agg.allLanes.metrics[SERVED]?.coverage ?? null,
  total: agg.total?.metrics[SERVED]?.coverage ?? null,
};
lines.push('', 'Served bands, coverage over all rolling origins (80 / 95):');
for (const [name, c] of Object.entries(coverage))
  lines.push(`- ${name}: ${pct(c?.['80'] ?? null)} / ${pct(c?.['95'] ?? null)}`);
const file = writeResult(untilText === undefined ? 'forecast-olist-rolling' : 'forecast-olist-rolling-dev', {
  until: untilText ?? null,
  seconds,
  served: report.served,
  coverage,
  rolling: {
    ...rolling,
    dataSets: Object.fromEntries(
      Object.entries(rolling.dataSets).map(([k, v]) => [
        k,
        { lanes: v.lanes, distribution: v.distribution, servedBeats: v.servedBeats, perOrigin: v.perOrigin },
      ]),
    ),
  },
});
console.log(lines.join('\n'));
console.error(`→ ${file}`);
