import { isoText, numberText } from '../shared/format.ts';

/** Number and date formatting shared by the desk's panels (one locale: the browser's). */
const one = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const two = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export const DASH = '–';

/** 0.1234 → "12.3 %" (a no-break space: the sign never wraps away); null → "–". */
export function pct(v: number | null | undefined): string {
  return numberText(v, (x) => `${one.format(x * 100)}\u00a0%`, DASH);
}

export function ratio(v: number | null | undefined): string {
  return numberText(v, (x) => two.format(x), DASH);
}

/** A daily volume as shown in tables and the CSV's companion view: one decimal. */
export function vol(v: number | null | undefined): string {
  return numberText(v, (x) => one.format(x), DASH);
}

export function count(v: number): string {
  return whole.format(v);
}

const weekdayFmt = new Intl.DateTimeFormat('en', { weekday: 'short', timeZone: 'UTC' });

/** "2026-12-03" → "Thu 2026-12-03" (calendar days are UTC dates). */
export function day(date: string): string {
  return `${weekdayFmt.format(new Date(`${date}T00:00:00Z`))} ${date}`;
}

export function when(iso: string | null | undefined): string {
  return isoText(iso, (ms) => new Date(ms).toLocaleString(), DASH);
}

/** "seasonal-naive" → "seasonal naive". */
export function modelName(model: string | null | undefined): string {
  return model ? model.replaceAll('-', ' ') : DASH;
}

export function laneLabel(lane: string, warehouse: string): string {
  return warehouse ? `${lane} @ ${warehouse}` : lane;
}
