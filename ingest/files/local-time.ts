/**
 * Turning source wall-clock times (X12 date+time+zone code, naive CSV timestamps) into RFC 3339 with an
 * explicit offset. A zone is either a fixed offset (`-03:00`) or an IANA name (`America/Chicago`),
 * whose offset depends on the date (DST) and is looked up through Intl.
 */
export type Zone =
  | { readonly kind: 'offset'; readonly minutes: number }
  | { readonly kind: 'iana'; readonly name: string };

export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millis: number;
}

export class ZoneError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZoneError';
  }
}

const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** Zones are few and parsed once per record: memoised, since checking an IANA name builds an Intl formatter. */
const zoneCache = new Map<string, Zone>();
const ZONE_CACHE_MAX = 1_024;

/** Parses `Z`, `UTC`, `±HH:MM`, `±HHMM` or an IANA zone name; throws ZoneError otherwise. */
export function parseZone(text: string): Zone {
  const cached = zoneCache.get(text);
  if (cached) return cached;
  const zone = parseZoneUncached(text);
  if (zoneCache.size < ZONE_CACHE_MAX) zoneCache.set(text, zone);
  return zone;
}

function parseZoneUncached(text: string): Zone {
  if (text === 'Z' || text === 'UTC') return { kind: 'offset', minutes: 0 };
  const m = OFFSET.exec(text);
  if (m) {
    const minutes = Number(m[2]) * 60 + Number(m[3]);
    if (Number(m[2]) > 14 || Number(m[3]) > 59)
      throw new ZoneError(`offset ${text} is out of range (±14:00)`);
    return { kind: 'offset', minutes: m[1] === '-' ? -minutes : minutes };
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: text });
  } catch (cause) {
    throw new ZoneError(`"${text}" is neither an offset like -03:00 nor an IANA time zone`, { cause });
  }
  return { kind: 'iana', name: text };
}

export function formatOffset(minutes: number): string {
  let text = offsetTexts.get(minutes);
  if (text === undefined) {
    const abs = Math.abs(minutes);
    text = `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    // Offsets in use are a few dozen at most; the guard only bounds odd inputs.
    if (offsetTexts.size < 1_000) offsetTexts.set(minutes, text);
  }
  return text;
}
const offsetTexts = new Map<number, string>();

/** True when the fields name a real calendar date and clock time (no Feb 30, no 24:00). */
export function isValidWallTime(w: WallTime): boolean {
  if (!Number.isInteger(w.year) || w.year < 1 || w.year > 9999) return false;
  if (w.month < 1 || w.month > 12 || w.day < 1) return false;
  if (w.day > daysInMonth(w.year, w.month)) return false;
  return w.hour >= 0 && w.hour <= 23 && w.minute >= 0 && w.minute <= 59 && w.second >= 0 && w.second <= 59;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Proleptic Gregorian, as Date.UTC computes it (years 1–99 included: their leap years coincide with 1901–1999's). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/**
 * Offsets per zone and quarter hour: every DST transition falls on a quarter hour, so the offset is
 * constant within one, and formatToParts (the slow part) runs once per zone and quarter hour.
 */
const offsetCache = new Map<string, Map<number, number>>();
let offsetCacheSize = 0;
const OFFSET_CACHE_MAX = 100_000;
const QUARTER_HOUR_MS = 900_000;

/** The offset (minutes east of UTC) that `zone` has at the given instant. */
export function offsetAt(epochMs: number, zone: Zone): number {
  if (zone.kind === 'offset') return zone.minutes;
  // Keyed by zone, then by quarter-hour number: no key string built per lookup.
  let byQuarter = offsetCache.get(zone.name);
  const quarter = Math.floor(epochMs / QUARTER_HOUR_MS);
  const cached = byQuarter?.get(quarter);
  if (cached !== undefined) return cached;
  const offset = ianaOffsetAt(epochMs, zone.name);
  if (offsetCacheSize >= OFFSET_CACHE_MAX) {
    offsetCache.clear();
    offsetCacheSize = 0;
    byQuarter = undefined;
  }
  if (!byQuarter) {
    byQuarter = new Map();
    offsetCache.set(zone.name, byQuarter);
  }
  byQuarter.set(quarter, offset);
  offsetCacheSize++;
  return offset;
}

function ianaOffsetAt(epochMs: number, zoneName: string): number {
  const zone = { name: zoneName };
  const name = formatterFor(zone.name)
    .formatToParts(new Date(epochMs))
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = name ? /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?)?$/.exec(name) : null;
  if (!m) throw new ZoneError(`cannot read the offset of ${zone.name} (got ${String(name)})`);
  if (!m[1]) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * A wall-clock time in `zone` as RFC 3339 with that zone's offset. In a DST overlap the first
 * occurrence wins; a time inside a DST gap (it never existed) moves forward by the gap, as clocks did.
 */
export function wallTimeToRfc3339(w: WallTime, zone: Zone): string {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millis);
  if (zone.kind === 'offset') return renderWall(w, zone.minutes);
  const before = offsetAt(asUtc - HALF_DAY_MS, zone);
  const after = offsetAt(asUtc + HALF_DAY_MS, zone);
  // The larger of the offsets that map the wall time back onto itself (the first occurrence in an overlap).
  const beforeFits = offsetAt(asUtc - before * 60_000, zone) === before;
  const afterFits = after === before ? beforeFits : offsetAt(asUtc - after * 60_000, zone) === after;
  if (beforeFits && afterFits) return renderWall(w, Math.max(before, after));
  if (beforeFits) return renderWall(w, before);
  if (afterFits) return renderWall(w, after);
  const instant = asUtc - before * 60_000;
  return instantInOffset(instant, offsetAt(instant, zone));
}

const HALF_DAY_MS = 12 * 3_600_000;

/** An instant rendered in a fixed offset, e.g. EPCIS eventTime shown in its eventTimeZoneOffset. */
export function instantInOffset(epochMs: number, offsetMinutes: number): string {
  const d = new Date(epochMs + offsetMinutes * 60_000);
  return renderWall(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millis: d.getUTCMilliseconds(),
    },
    offsetMinutes,
  );
}

function renderWall(w: WallTime, offsetMinutes: number): string {
  const ms = w.millis ? `.${String(w.millis).padStart(3, '0')}` : '';
  return `${String(w.year).padStart(4, '0')}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${ms}${formatOffset(offsetMinutes)}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(name: string): Intl.DateTimeFormat {
  let f = formatters.get(name);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
    formatters.set(name, f);
  }
  return f;
}

/** "00".."99": every timestamp renders six two-digit fields, and a table lookup allocates nothing. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

function pad(n: number): string {
  return TWO_DIGITS[n] ?? String(n).padStart(2, '0');
}
