import type { Series } from './types.ts';

/**
 * The CSV of what the desk shows for a lane: one row per day of the chart, history then horizon, with
 * the same columns as `GET /api/forecasts/series?format=csv` (forecasting/http-desk.ts seriesCsv):
 * lane,warehouse,date,actual,forecast,lower_80,upper_80,lower_95,upper_95,model,run_id.
 */
const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export interface DayRow {
  readonly date: string;
  readonly actual: number | undefined;
  readonly mean: number | undefined;
  /** Per level (ascending): [lower, upper], undefined on history days. */
  readonly bounds: readonly (readonly [number, number] | undefined)[];
}

/** Every day of the view, in date order: the table under the chart, the chart and the CSV all use these. */
export function dayRows(s: Series): { levels: number[]; rows: DayRow[] } {
  const levels = [...s.levels].sort((a, b) => a - b);
  const actual = new Map(s.actuals.map((a) => [a.date, a.volume]));
  const forecast = new Map(s.forecast.map((f) => [f.date, f]));
  const dates = [...new Set([...actual.keys(), ...forecast.keys()])].sort();
  const rows = dates.map((date) => {
    const f = forecast.get(date);
    return {
      date,
      actual: actual.get(date),
      mean: f?.mean,
      bounds: levels.map((l) => {
        const i = f?.intervals.find((x) => x.level === l);
        return i ? ([i.lower, i.upper] as const) : undefined;
      }),
    };
  });
  return { levels, rows };
}

export function deskCsv(s: Series): string {
  const { levels, rows } = dayRows(s);
  const header = [
    'lane',
    'warehouse',
    'date',
    'actual',
    'forecast',
    ...levels.flatMap((l) => [`lower_${l}`, `upper_${l}`]),
    'model',
    'run_id',
  ];
  const lines = [header.join(',')];
  for (const r of rows) {
    const forecast = r.mean !== undefined;
    lines.push(
      [
        s.lane,
        s.warehouse,
        r.date,
        r.actual,
        r.mean,
        ...r.bounds.flatMap((b) => [b?.[0], b?.[1]]),
        forecast ? s.model : '',
        forecast ? s.runId : '',
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function csvFilename(s: Series): string {
  return `forecast-${s.lane.replace(/[^A-Za-z0-9_-]+/g, '_')}-${s.origin}.csv`;
}
