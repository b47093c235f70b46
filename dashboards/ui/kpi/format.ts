import type { Direction, KpiUnit } from './types.ts';

/** A no-break space between a number and its unit, so the two never wrap apart. */
const NB = '\u00a0';

/** Numbers as people read them: rounded, no trailing zeros. */
function num(v: number, digits = 1): string {
  return Number(v.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}

function seconds(s: number): string {
  if (s < 1) return `${num(s * 1000, s < 0.01 ? 1 : 0)}${NB}ms`;
  if (s < 120) return `${num(s, 1)}${NB}s`;
  return minutes(s / 60);
}

function minutes(m: number): string {
  if (m < 120) return `${num(m, m < 10 ? 1 : 0)}${NB}min`;
  return `${num(m / 60, 1)}${NB}h`;
}

/** A KPI value (or threshold) with its unit. */
export function formatValue(value: number, unit: KpiUnit): string {
  switch (unit) {
    case 'per_100_orders':
      return num(value, 1);
    case 'percent':
      return `${num(value, 1)}${NB}%`;
    case 'ratio':
      return `${num(value * 100, 1)}${NB}%`;
    case 'minutes':
      return minutes(value);
    case 'seconds':
      return seconds(value);
    default:
      return num(value, 2);
  }
}

/** What the threshold means, e.g. "alert above 12" or "alert below 78 %". */
export function formatThreshold(threshold: number | null, unit: KpiUnit, direction: Direction): string {
  if (threshold === null) return 'no target set';
  return `alert ${direction === 'above_is_bad' ? 'above' : 'below'} ${formatValue(threshold, unit)}`;
}

/** The text cue of a crossed KPI (never colour alone). */
export function crossedCue(direction: Direction): string {
  return direction === 'above_is_bad' ? 'Above threshold' : 'Below threshold';
}

/** The sparkline in words: its range and how many hours have data. */
export function sparkText(points: readonly { value: number | null }[], unit: KpiUnit): string {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  if (values.length === 0) return `No hourly values in the last ${points.length} hours.`;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const last = values[values.length - 1] as number;
  return `Last ${points.length} hours, ${values.length} with data: lowest ${formatValue(lo, unit)}, highest ${formatValue(hi, unit)}, latest ${formatValue(last, unit)}.`;
}
