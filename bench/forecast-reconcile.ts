import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BacktestResult, runBacktest } from '../forecasting/backtest.ts';
import { formatDay, parseDay } from '../forecasting/days.ts';
import { SERVED_MODEL } from '../forecasting/forecast-run.ts';
import { DEFAULT_MODELS, olistSeries, TOTAL_LANE } from '../forecasting/mod.ts';
import { buildModelSet } from '../forecasting/model-set.ts';
import { DEFAULT_FIT_WINDOW } from '../forecasting/models/augurs.ts';
import { readOlist } from '../forecasting/olist-files.ts';
import {
  type Hierarchy,
  RECONCILE_METHODS,
  type ReconcileMethod,
  reconcile,
} from '../forecasting/reconcile.ts';
import { type LaneSeries, truncate } from '../forecasting/series.ts';
import { writeResult } from './lib/results.ts';

/**
 * Which reconciliation to serve, judged on the Olist development window (data cut at 2017-11-05; H = 14,
 * K = 4 folds, 2 inner windows, the default model set, the served forecast). The hierarchy: lanes
 * (seller state > customer state) → seller state (the warehouse's stand-in: where shipments leave from)
 * → network (the sum of the lanes; Olist's own TOTAL counts an order once, the lanes do not). Every
 * aggregate is forecast by the same models as the lanes, then each method reconciles the fold's forecasts.
 * Scored by pooled WAPE per level (lanes, states, network) and on the lanes averaging ≥ 1/day.
 * Rule (fixed before the run): serve the method with the lowest mean WAPE over the three levels; within
 * 1% (relative) of bottom-up, bottom-up (it needs no aggregate forecasts and cannot be worse at the lanes).
 * Usage: node bin/run-ts.js bench/forecast-reconcile.ts [--data DIR] [--until YYYY-MM-DD]
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argValue = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const dataDir = argValue('--data') ?? path.resolve(repo, 'testdata/olist');
const until = parseDay(argValue('--until') ?? '2017-11-05');
if (until === undefined) throw new Error('--until: expected YYYY-MM-DD');
const SHARE_DAYS = 56;

const lanes = olistSeries(await readOlist(dataDir))
  .filter((s) => s.lane !== TOTAL_LANE)
  .map((s) => truncate(s, Math.max(0, until - s.start + 1)));
const start = Math.min(...lanes.map((s) => s.start));
const end = until + 1;
const stateOf = (lane: string) => lane.split('>')[0] ?? lane;

/** The sum of some lanes on the common calendar, as a series of its own. */
function sumSeries(name: string, members: readonly LaneSeries[]): LaneSeries {
  const values = new Float64Array(end - start);
  for (const s of members) {
    s.values.forEach((v, i) => {
      const at = s.start - start + i;
      values[at] = (values[at] ?? 0) + v;
    });
  }
  const first = members[0] as LaneSeries;
  const regressors = Object.fromEntries(
    Object.entries(first.regressors).map(([k, r]) => {
      const out = Float64Array.from(
        { length: values.length + 14 },
        (_, i) => r[i + start - first.start] ?? 0,
      );
      return [k, out];
    }),
  );
  return { key: name, lane: name, warehouse: '', start, values, regressors };
}

const states = [...new Set(lanes.map((s) => stateOf(s.lane)))].sort();
const stateSeries = states.map((st) =>
  sumSeries(
    `STATE:${st}`,
    lanes.filter((s) => stateOf(s.lane) === st),
  ),
);
const network = sumSeries('NETWORK', lanes);
const all = [...lanes, ...stateSeries, network];

const { models, hooks } = buildModelSet({
  models: DEFAULT_MODELS,
  fitWindow: DEFAULT_FIT_WINDOW,
  threads: 2,
  lanes: all.length,
});
const started = performance.now();
let result: BacktestResult;
try {
  result = await runBacktest(
    all,
    models,
    {
      horizon: 14,
      folds: 4,
      innerFolds: 2,
      levels: [80],
      minTrainDays: 28,
      seed: 1,
      excluded: () => false,
      final: false,
    },
    hooks,
  );
} finally {
  for (const g of models.global) g.dispose?.();
}
const seconds = (performance.now() - started) / 1000;
console.error(`backtest of ${all.length} series: ${seconds.toFixed(1)} s`);

const byKey = new Map(result.lanes.map((l) => [l.series.key, l]));
const H = 14;
type Level = 'lanes' | 'lanes ≥ 1/day' | 'states' | 'network';
const acc = new Map<string, { abs: number; act: number }>();
const add = (method: string, level: Level, a: number, f: number) => {
  const k = `${method}\u001f${level}`;
  const cur = acc.get(k) ?? { abs: 0, act: 0 };
  cur.abs += Math.abs(a - f);
  cur.act += a;
  acc.set(k, cur);
};
const mean = (s: LaneSeries) => s.values.reduce((x, v) => x + v, 0) / Math.max(1, s.values.length);
const busy = new Set(lanes.filter((s) => mean(s) >= 1).map((s) => s.key));

for (const origin of result.origins) {
  const fold = (key: string) => byKey.get(key)?.folds.find((f) => f.origin === origin);
  const served = (key: string) => {
    const f = fold(key);
    return f
      ? Array.from(f.forecasts[SERVED_MODEL]?.mean ?? new Float64Array(H))
      : new Array<number>(H).fill(0);
  };
  const actual = (s: LaneSeries) => Array.from({ length: H }, (_, t) => s.values[origin + t - s.start] ?? 0);
  // A lane too young to be forecast at this origin forecasts 0 (it had next to no volume).
  const leaves = lanes.map((s) => {
    let share = 0;
    for (let d = origin - SHARE_DAYS; d < origin; d++) share += s.values[d - s.start] ?? 0;
    return { key: s.key, mean: served(s.key), share };
  });
  const h: Hierarchy = {
    leaves,
    aggregates: [
      { key: network.key, members: lanes.map((_, i) => i), mean: served(network.key) },
      ...stateSeries.map((st, k) => ({
        key: st.key,
        members: lanes.flatMap((s, i) => (stateOf(s.lane) === states[k] ? [i] : [])),
        mean: served(st.key),
      })),
    ],
    total: 0,
  };
  const score = (method: string, leafF: number[][], aggF: number[][]) => {
    lanes.forEach((s, i) => {
      const a = actual(s);
      a.forEach((v, t) => {
        add(method, 'lanes', v, leafF[i]?.[t] ?? 0);
        if (busy.has(s.key)) add(method, 'lanes ≥ 1/day', v, leafF[i]?.[t] ?? 0);
      });
    });
    for (const [t, v] of actual(network).entries()) add(method, 'network', v, aggF[0]?.[t] ?? 0);
    for (const [k, st] of stateSeries.entries()) {
      for (const [t, v] of actual(st).entries()) add(method, 'states', v, aggF[k + 1]?.[t] ?? 0);
    }
  };
  score(
    'base (incoherent)',
    leaves.map((l) => l.mean),
    h.aggregates.map((a) => Array.from(a.mean ?? [])),
  );
  for (const method of RECONCILE_METHODS) {
    const r = reconcile(h, method);
    score(method, r.leaves as number[][], r.aggregates as number[][]);
  }
}

const levels: Level[] = ['lanes', 'lanes ≥ 1/day', 'states', 'network'];
const wape = (method: string, level: Level) => {
  const c = acc.get(`${method}\u001f${level}`);
  return c && c.act > 0 ? c.abs / c.act : Number.NaN;
};
const methods = ['base (incoherent)', ...RECONCILE_METHODS];
const table = methods.map((m) => {
  const row: Record<string, number> = Object.fromEntries(levels.map((l) => [l, wape(m, l)]));
  const meanOf3 = (wape(m, 'lanes') + wape(m, 'states') + wape(m, 'network')) / 3;
  return { method: m, byLevel: row, mean: meanOf3 };
});
const bu = table.find((r) => r.method === 'bottom-up')?.mean ?? Number.NaN;
const best = table
  .filter((r) => r.method !== 'base (incoherent)')
  .reduce((b, r) => (r.mean < b.mean ? r : b));
const chosen: ReconcileMethod = best.mean < bu * 0.99 ? (best.method as ReconcileMethod) : 'bottom-up';

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');
console.log(
  `Olist development window (data to ${formatDay(until)}), ${lanes.length} lanes, ${states.length} seller states, network; folds from ${result.origins.map(formatDay).join(', ')}; served model \`${SERVED_MODEL}\`\n`,
);
console.log(`| method | ${levels.join(' | ')} | mean of lanes, states, network |`);
console.log(`| --- | ${levels.map(() => '---:').join(' | ')} | ---: |`);
for (const r of table)
  console.log(
    `| ${r.method} | ${levels.map((l) => pct(r.byLevel[l] ?? Number.NaN)).join(' | ')} | ${pct(r.mean)} |`,
  );
console.log(`\nchosen by the rule: ${chosen}`);
writeResult('forecast-reconcile-dev', {
  until: formatDay(until),
  seconds,
  origins: result.origins.map(formatDay),
  table,
  chosen,
});
