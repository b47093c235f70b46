/**
 * Calendar days as integers (days since 1970-01-01, UTC). Lane volumes are daily counts, so a day
 * number is the natural index: differences are lengths, `day + 7` is next week, no time zones.
 */
const MS_PER_DAY = 86_400_000;
const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number of a `YYYY-MM-DD` date, or undefined when the text is not a real calendar date. */
export function parseDay(text: string): number | undefined {
  const m = ISO_DAY.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 2017-02-30 over to March; a round trip catches it.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return ms / MS_PER_DAY;
}

/** The day number of a `YYYY-MM-DD` date known to be valid (constants, tests); throws otherwise. */
export function dayOf(text: string): number {
  const day = parseDay(text);
  if (day === undefined) throw new RangeError(`not a date: ${text}`);
  return day;
}

export function formatDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function dayFromMs(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

export function msFromDay(day: number): number {
  return day * MS_PER_DAY;
}

/** 0 = Monday … 6 = Sunday (ISO 8601). 1970-01-01 was a Thursday. */
export function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** Day number of the Monday starting the ISO week that holds `day`. */
export function isoWeekStart(day: number): number {
  return day - weekday(day);
}

/** ISO week label (`2017-W47`) of a day: the week belongs to the year of its Thursday. */
export function isoWeekLabel(day: number): string {
  const thursday = isoWeekStart(day) + 3;
  const year = new Date(thursday * MS_PER_DAY).getUTCFullYear();
  const jan4 = Date.UTC(year, 0, 4) / MS_PER_DAY;
  const week = 1 + Math.round((thursday - (isoWeekStart(jan4) + 3)) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Monday of ISO week `week` of `year`, or undefined when that week does not exist. */
export function isoWeekMonday(year: number, week: number): number | undefined {
  if (week < 1 || week > 53) return undefined;
  const jan4 = Date.UTC(year, 0, 4) / MS_PER_DAY;
  const monday = isoWeekStart(jan4) + (week - 1) * 7;
  return isoWeekLabel(monday) === `${year}-W${String(week).padStart(2, '0')}` ? monday : undefined;
}
