import { weekday } from './days.ts';

/**
 * Built-in calendars for the regressors: national public holidays per region (Brazil, where the Olist
 * lanes run, and the United States) and the Black Friday promotion. A customer with other regions or
 * state holidays supplies them as columns of the series CSV instead.
 */
export const HOLIDAY_REGIONS = ['BR', 'US'] as const;
export type HolidayRegion = (typeof HOLIDAY_REGIONS)[number];

const cache = new Map<string, ReadonlySet<number>>();

export function isHoliday(region: HolidayRegion, day: number): boolean {
  const year = new Date(day * 86_400_000).getUTCFullYear();
  return holidaysOf(region, year).has(day);
}

export function holidaysOf(region: HolidayRegion, year: number): ReadonlySet<number> {
  const key = `${region}:${year}`;
  let set = cache.get(key);
  if (!set) {
    set = new Set(region === 'BR' ? brazil(year) : unitedStates(year));
    cache.set(key, set);
  }
  return set;
}

/** The Friday after the fourth Thursday of November (US Thanksgiving); Brazilian retail follows it too. */
export function blackFriday(year: number): number {
  return nthWeekday(year, 11, 3, 4) + 1;
}

function brazil(year: number): number[] {
  const easter = easterSunday(year);
  return [
    date(year, 1, 1),
    easter - 48, // Carnival Monday
    easter - 47, // Carnival Tuesday
    easter - 2, // Good Friday
    date(year, 4, 21), // Tiradentes
    date(year, 5, 1),
    easter + 60, // Corpus Christi
    date(year, 9, 7), // Independence
    date(year, 10, 12), // Nossa Senhora Aparecida
    date(year, 11, 2), // Finados
    date(year, 11, 15), // Proclamação da República
    date(year, 12, 25),
  ];
}

function unitedStates(year: number): number[] {
  return [
    date(year, 1, 1),
    nthWeekday(year, 1, 0, 3), // Martin Luther King Jr. Day
    nthWeekday(year, 2, 0, 3), // Washington's Birthday
    lastWeekday(year, 5, 0), // Memorial Day
    ...(year >= 2021 ? [date(year, 6, 19)] : []),
    date(year, 7, 4),
    nthWeekday(year, 9, 0, 1), // Labor Day
    nthWeekday(year, 10, 0, 2), // Columbus Day
    date(year, 11, 11),
    nthWeekday(year, 11, 3, 4), // Thanksgiving
    date(year, 12, 25),
  ];
}

function date(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / 86_400_000;
}

/** The n-th given weekday (0 = Monday) of a month. */
function nthWeekday(year: number, month: number, wd: number, n: number): number {
  const first = date(year, month, 1);
  return first + ((wd - weekday(first) + 7) % 7) + (n - 1) * 7;
}

function lastWeekday(year: number, month: number, wd: number): number {
  const last = date(year, month + 1, 1) - 1;
  return last - ((weekday(last) - wd + 7) % 7);
}

/** Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return date(year, month, day);
}

/** `holiday` and `promo` (Black Friday) flags for a run of days, for series that have no such columns. */
export function calendarRegressors(
  region: HolidayRegion,
  start: number,
  length: number,
): Record<string, Float64Array> {
  const holiday = new Float64Array(length);
  const promo = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const day = start + i;
    holiday[i] = isHoliday(region, day) ? 1 : 0;
    promo[i] = day === blackFriday(new Date(day * 86_400_000).getUTCFullYear()) ? 1 : 0;
  }
  return { holiday, promo };
}

export function isHolidayRegion(text: string): text is HolidayRegion {
  return (HOLIDAY_REGIONS as readonly string[]).includes(text);
}
