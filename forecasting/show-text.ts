import { dayOf, weekday } from './days.ts';
import { boundColumns, boundsAt, csvText } from './http-common.ts';
import type { BandPoint } from './trucks.ts';

/**
 * `dockside forecast show`'s output (pure): a lane's stored forecast as a small terminal chart (one row
 * per day, plain ASCII, under 80 columns), a table, or CSV. In the chart `*` is the forecast, `=` the
 * narrowest band and `-` the widest (80 % and 95 % by default).
 */

export interface ShownForecast {
  readonly lane: string;
  readonly warehouse: string;
  readonly measure: string;
  readonly runId: string;
  readonly createdAt: string;
  readonly model: string;
  /** Days the stored forecast covers (may be fewer than asked). */
  readonly horizon: number;
  readonly points: readonly BandPoint[];
}

/** Chart cells per row (the scale's 0 to its top). */
export const CHART_CELLS = 49;
const LABEL = 16;
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

const levelsOf = (points: readonly BandPoint[]) =>
  [...new Set(points.flatMap((p) => p.intervals.map((i) => i.level)))].sort((a, b) => a - b);

/** The smallest of 1, 2, 2.5, 5 × 10^k that is at least `v` (a round top for the scale). */
export function niceTop(v: number): number {
  if (!(v > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= v - 1e-9) return m * exp;
  return 10 * exp;
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
const dayLabel = (date: string) => `${date} ${DAY_NAMES[weekday(dayOf(date))] ?? ''}`.padEnd(LABEL);

export function heading(f: ShownForecast): string[] {
  const where = f.warehouse === '' ? 'all warehouses' : `warehouse ${f.warehouse}`;
  return [`${f.lane} (${where}) · ${f.measure} per day · model ${f.model}`, `run ${f.runId}, ${f.createdAt}`];
}

/** The chart: a scale line, an axis, one row per day, a legend. */
export function chartLines(f: ShownForecast): string[] {
  const levels = levelsOf(f.points);
  const outer = levels.at(-1);
  const inner = levels.length > 1 ? levels[0] : undefined;
  const top = niceTop(Math.max(0, ...f.points.flatMap((p) => [p.mean, ...p.intervals.map((i) => i.upper)])));
  const last = CHART_CELLS - 1;
  const col = (v: number) => Math.min(last, Math.max(0, Math.round((v / top) * last)));
  const ticks = [0, 1, 2, 3, 4].map((k) => Math.round((k * last) / 4));

  const scale = Array.from({ length: CHART_CELLS }, () => ' ');
  ticks.forEach((c, k) => {
    const text = num((top * k) / 4);
    const start = k === 0 ? c : k === 4 ? c - text.length + 1 : c - Math.floor(text.length / 2);
    for (let i = 0; i < text.length; i++) scale[start + i] = text[i] ?? ' ';
  });
  const axis = Array.from({ length: CHART_CELLS }, (_, c) => (ticks.includes(c) ? '+' : '-'));

  const rows = f.points.map((p) => {
    const cells = Array.from({ length: CHART_CELLS }, () => ' ');
    const fill = (level: number | undefined, ch: string) => {
      const i = p.intervals.find((x) => x.level === level);
      if (i) for (let c = col(i.lower); c <= col(i.upper); c++) cells[c] = ch;
    };
    fill(outer, '-');
    fill(inner, '=');
    cells[col(p.mean)] = '*';
    return `${dayLabel(p.date)}${cells.join('').trimEnd()}`;
  });
  const legend = [
    '* forecast',
    ...(inner !== undefined ? [`= ${inner} % band`] : []),
    ...(outer !== undefined ? [`- ${outer} % band`] : []),
  ].join('   ');
  const pad = ' '.repeat(LABEL);
  return [`${pad}${scale.join('').trimEnd()}`, `${pad}${axis.join('')}`, ...rows, `${pad}${legend}`];
}

/** The table: date, weekday, forecast, then the bounds from the widest band's lower to its upper. */
export function tableLines(f: ShownForecast): string[] {
  const levels = levelsOf(f.points);
  const lowers = [...levels].reverse();
  const header = [
    'date      ',
    'day',
    ...['forecast', ...lowers.map((l) => `lower_${l}`), ...levels.map((l) => `upper_${l}`)].map((h) =>
      h.padStart(9),
    ),
  ].join('  ');
  const rows = f.points.map((p) => {
    const at = (l: number) => p.intervals.find((i) => i.level === l);
    const cells = [p.mean, ...lowers.map((l) => at(l)?.lower), ...levels.map((l) => at(l)?.upper)];
    return [
      p.date,
      DAY_NAMES[weekday(dayOf(p.date))] ?? '',
      ...cells.map((v) => (v === undefined ? '' : v.toFixed(1)).padStart(9)),
    ].join('  ');
  });
  return [header, ...rows];
}

/** Chart, then table, for each forecast shown; a note when the stored forecast is shorter than asked. */
export function showText(forecasts: readonly ShownForecast[], days: number): string {
  return forecasts
    .map((f) => {
      const short = f.horizon < days ? [`(the stored forecast covers ${f.horizon} days, not ${days})`] : [];
      return [...heading(f), ...short, '', ...chartLines(f), '', ...tableLines(f)].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

/** CSV as `GET /api/forecasts?format=csv` writes it: lane,warehouse,date,mean,lower_80,upper_80,…,model,run_id. */
export function showCsv(forecasts: readonly ShownForecast[]): string {
  const levels = [...new Set(forecasts.flatMap((f) => levelsOf(f.points)))].sort((a, b) => a - b);
  return csvText(
    ['lane', 'warehouse', 'date', 'mean', ...boundColumns(levels), 'model', 'run_id'],
    forecasts.flatMap((f) =>
      f.points.map((p) => [
        f.lane,
        f.warehouse,
        p.date,
        p.mean,
        ...boundsAt(p.intervals, levels),
        f.model,
        f.runId,
      ]),
    ),
  );
}
