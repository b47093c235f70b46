import { formatDay, isoWeekStart, parseDay } from './days.ts';

/**
 * Daily forecast points and their weekly sums (ISO weeks, Monday first). A weekly interval assumes the
 * days' errors independent: each bound moves from the weekly mean by the root sum of squares of the
 * daily half-widths. That understates the width when errors persist over days, so it is labelled approximate.
 */
export interface ForecastPoint {
  readonly date: string;
  readonly mean: number;
  readonly intervals: readonly { readonly level: number; readonly lower: number; readonly upper: number }[];
}

export interface WeeklyPoint extends ForecastPoint {
  /** Days of the week the forecast covers (a first or last week can be partial). */
  readonly days: number;
}

export function weeklySums(points: readonly ForecastPoint[]): WeeklyPoint[] {
  const weeks = new Map<number, ForecastPoint[]>();
  for (const p of points) {
    const day = parseDay(p.date);
    if (day === undefined) continue;
    const monday = isoWeekStart(day);
    let list = weeks.get(monday);
    if (!list) {
      list = [];
      weeks.set(monday, list);
    }
    list.push(p);
  }
  return [...weeks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([monday, days]) => {
      const mean = days.reduce((s, p) => s + p.mean, 0);
      const levels = [...new Set(days.flatMap((p) => p.intervals.map((i) => i.level)))].sort((a, b) => a - b);
      const intervals = levels.map((level) => {
        let lo = 0;
        let hi = 0;
        for (const p of days) {
          const i = p.intervals.find((x) => x.level === level);
          if (!i) continue;
          lo += (p.mean - i.lower) ** 2;
          hi += (i.upper - p.mean) ** 2;
        }
        return { level, lower: Math.max(0, mean - Math.sqrt(lo)), upper: mean + Math.sqrt(hi) };
      });
      return { date: formatDay(monday), mean, intervals, days: days.length };
    });
}
