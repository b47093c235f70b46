import uPlot from 'uplot';
import { themeColor, useUPlot } from '../shared/chart.ts';
import type { DayRow } from './csv.ts';
import { day, laneLabel, vol } from './format.ts';
import type { Series } from './types.ts';

/**
 * Actual vs forecast for one lane with uPlot: the actual daily volume, the forecast mean, and each
 * interval level as a filled band (uPlot `bands`, widest first). Colours come from the theme's tokens
 * and the chart is rebuilt when the theme changes; it follows its container's width. The caption is the
 * text alternative: what the chart shows, in numbers.
 */
const HEIGHT = 300;
const MIN_WIDTH = 280;

/** `#rrggbb` (or `#rgb`) with an alpha, for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
  if (!m?.[1]) return hex;
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Band opacity per level rank: the widest band lightest. */
const BAND_ALPHA = [0.16, 0.32, 0.45];

function options(width: number, levels: readonly number[]): uPlot.Options {
  const ink = themeColor('--ink', '#1b1f24');
  const muted = themeColor('--muted', '#57606a');
  const grid = themeColor('--border', '#d0d7de');
  const accent = themeColor('--accent', '#0a58ca');
  const wideFirst = [...levels].sort((a, b) => b - a);
  const boundSeries: uPlot.Series[] = wideFirst.flatMap((l) => [
    { label: `${l} % upper`, stroke: withAlpha(accent, 0.5), width: 1, points: { show: false } },
    { label: `${l} % lower`, stroke: withAlpha(accent, 0.5), width: 1, points: { show: false } },
  ]);
  const axis = {
    stroke: muted,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
  };
  return {
    width,
    height: HEIGHT,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [axis, { ...axis, size: 56 }],
    series: [
      {},
      {
        label: 'Actual',
        stroke: ink,
        width: 2,
        points: { show: true, size: 4, stroke: ink, fill: ink },
      },
      { label: 'Forecast', stroke: accent, width: 2, dash: [6, 4], points: { show: false } },
      ...boundSeries,
    ],
    bands: wideFirst.map((_, i) => ({
      series: [3 + 2 * i, 4 + 2 * i] as uPlot.Band.Bounds,
      fill: withAlpha(accent, BAND_ALPHA[Math.min(i, BAND_ALPHA.length - 1)] ?? 0.3),
    })),
  };
}

function chartData(rows: readonly DayRow[], levels: readonly number[]): uPlot.AlignedData {
  const ascending = [...levels].sort((a, b) => a - b);
  const wideFirst = [...levels].sort((a, b) => b - a);
  const x = rows.map((r) => Date.parse(`${r.date}T00:00:00Z`) / 1000);
  const bound = (level: number, side: 0 | 1) =>
    rows.map((r) => r.bounds[ascending.indexOf(level)]?.[side] ?? null);
  return [
    x,
    rows.map((r) => r.actual ?? null),
    rows.map((r) => r.mean ?? null),
    ...wideFirst.flatMap((l) => [bound(l, 1), bound(l, 0)]),
  ];
}

export function ForecastChart(props: { series: Series; rows: readonly DayRow[]; levels: readonly number[] }) {
  const { series, rows, levels } = props;
  const box = useUPlot(
    (el) => new uPlot(options(Math.max(el.clientWidth, MIN_WIDTH), levels), chartData(rows, levels), el),
    [rows, levels],
    { minWidth: MIN_WIDTH, height: HEIGHT },
  );
  const label = laneLabel(series.lane, series.warehouse);
  return (
    <figure class="fc-figure">
      <div
        ref={box}
        class="fc-chart"
        role="img"
        aria-label={`Chart of ${label}: actual and forecast daily volume with ${levels.join(' and ')} % bands`}
        data-bands={levels.join(',')}
        data-days={rows.length}
      />
      <Legend levels={levels} />
      <figcaption id="fc-caption">
        <Caption series={series} rows={rows} levels={levels} />
      </figcaption>
    </figure>
  );
}

function Legend(props: { levels: readonly number[] }) {
  const wideFirst = [...props.levels].sort((a, b) => b - a);
  return (
    <ul class="fc-legend" aria-hidden="true">
      <li>
        <span class="sw sw-actual" /> Actual
      </li>
      <li>
        <span class="sw sw-forecast" /> Forecast
      </li>
      {wideFirst.map((l, i) => (
        <li key={l}>
          <span class={`sw sw-band sw-band-${i}`} /> {l} % interval
        </li>
      ))}
    </ul>
  );
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** The numbers the chart shows, in a sentence or two. */
function Caption(props: { series: Series; rows: readonly DayRow[]; levels: readonly number[] }) {
  const { series, rows, levels } = props;
  const past = rows.filter((r) => r.actual !== undefined && r.date < series.origin);
  const lastWeek = past.slice(-7);
  const next = rows.filter((r) => r.mean !== undefined).slice(0, 7);
  const ascending = [...levels].sort((a, b) => a - b);
  const label = laneLabel(series.lane, series.warehouse);
  const first = next[0];
  const firstText = first
    ? `${day(first.date)}: ${vol(first.mean)}${ascending
        .map((l, i) => `, ${l} % interval ${vol(first.bounds[i]?.[0])}–${vol(first.bounds[i]?.[1])}`)
        .join('')}`
    : '';
  return (
    <>
      <strong>{label}</strong>, {series.measure} shipments per day: {past.length} days of actuals from{' '}
      {past[0] ? day(past[0].date) : '–'}, forecast for {series.horizon} days from {day(series.origin)}.{' '}
      {lastWeek.length > 0 && (
        <>
          Last {lastWeek.length} days before the forecast: {vol(sum(lastWeek.map((r) => r.actual ?? 0)))} in
          all.{' '}
        </>
      )}
      {next.length > 0 && (
        <>
          Next {next.length} days forecast: {vol(sum(next.map((r) => r.mean ?? 0)))} in all; first day{' '}
          {firstText}.{' '}
        </>
      )}
      Every day's numbers are in the table below the chart.
    </>
  );
}
