import { decimalAt } from '../../core/mod.ts';
import {
  isValidWallTime,
  parseZone,
  type WallTime,
  wallTimeToRfc3339,
  type Zone,
} from '../files/local-time.ts';
import { fieldError } from '../files/record.ts';

/**
 * X12 date (CCYYMMDD, or YYMMDD in pre-4010 versions), time (HHMM[SS[D[D]]]) and time code (element 623)
 * → RFC 3339. Zone codes without a DST letter (ET, CT, MT, PT, AT, HT, NT, TT) follow the US/Canadian
 * zone's rules on that date; S/D variants are fixed offsets; 01–12 are UTC+1..+12 and 13–24 UTC-12..-1;
 * LT ("local time") and an absent code mean the sender's local time, which the caller supplies
 * (`localZone`, default UTC) because an X12 document does not say where its sender is.
 */
const ZONE_CODES: Readonly<Record<string, string>> = {
  UT: '+00:00',
  GM: '+00:00',
  ET: 'America/New_York',
  ES: '-05:00',
  ED: '-04:00',
  CT: 'America/Chicago',
  CS: '-06:00',
  CD: '-05:00',
  MT: 'America/Denver',
  MS: '-07:00',
  MD: '-06:00',
  PT: 'America/Los_Angeles',
  PS: '-08:00',
  PD: '-07:00',
  AT: 'America/Anchorage',
  AS: '-09:00',
  AD: '-08:00',
  HT: 'Pacific/Honolulu',
  HS: '-10:00',
  HD: '-09:00',
  NT: 'America/St_Johns',
  NS: '-03:30',
  ND: '-02:30',
  TT: 'America/Halifax',
  TS: '-04:00',
  TD: '-03:00',
};

export const LOCAL_TIME_CODE = 'LT';

export function zoneForCode(code: string, localZone: Zone, field: string): Zone {
  if (code === '' || code === LOCAL_TIME_CODE) return localZone;
  const named = ZONE_CODES[code];
  if (named) return parseZone(named);
  if (/^\d{2}$/.test(code)) {
    const n = Number(code);
    if (n >= 1 && n <= 12) return { kind: 'offset', minutes: n * 60 };
    if (n >= 13 && n <= 24) return { kind: 'offset', minutes: (n - 25) * 60 };
  }
  throw fieldError(
    'X12_BAD_TIME_CODE',
    field,
    code,
    `an X12 time code (UT, GM, ET/ES/ED, CT/CS/CD, MT/MS/MD, PT/PS/PD, AT, HT, NT, TT, LT or 01–24)`,
  );
}

/** Parses an X12 date; two-digit years pivot at 50 (00–49 → 20xx), as 3060-era senders intend. */
export function parseX12Date(text: string, field: string): Pick<WallTime, 'year' | 'month' | 'day'> {
  // Digit arithmetic instead of a regex and Number(): this runs for every status of every 214.
  const n = text.length;
  if (n === 6 || n === 8) {
    const yy = decimalAt(text, n - 6, 2);
    const century = n === 8 ? decimalAt(text, 0, 2) : 0;
    const month = decimalAt(text, n - 4, 2);
    const day = decimalAt(text, n - 2, 2);
    if ((yy | century | month | day) >= 0) {
      const year = n === 8 ? century * 100 + yy : yy < 50 ? 2000 + yy : 1900 + yy;
      if (isValidWallTime({ year, month, day, hour: 0, minute: 0, second: 0, millis: 0 }))
        return { year, month, day };
    }
  }
  throw fieldError('X12_BAD_DATE', field, text, 'a calendar date CCYYMMDD (or YYMMDD)');
}

export function parseX12Time(
  text: string,
  field: string,
): Pick<WallTime, 'hour' | 'minute' | 'second' | 'millis'> {
  const n = text.length;
  if (n === 4 || n === 6 || n === 7 || n === 8) {
    const hour = decimalAt(text, 0, 2);
    const minute = decimalAt(text, 2, 2);
    const second = n >= 6 ? decimalAt(text, 4, 2) : 0;
    // HHMMSSD[D]: tenths or hundredths of a second.
    const fraction = n > 6 ? decimalAt(text, 6, n - 6) : 0;
    const millis = n === 7 ? fraction * 100 : n === 8 ? fraction * 10 : 0;
    if ((hour | minute | second | fraction) >= 0 && hour <= 23 && minute <= 59 && second <= 59) {
      return { hour, minute, second, millis };
    }
  }
  throw fieldError('X12_BAD_TIME', field, text, 'a time HHMM, HHMMSS or HHMMSSD[D] (24-hour clock)');
}

export interface X12Instant {
  readonly at: string;
  /** `day` when the source gave a date without a time (the instant is that day's 00:00). */
  readonly precision: 'time' | 'day';
}

const MIDNIGHT = { hour: 0, minute: 0, second: 0, millis: 0 } as const;

export function x12Instant(
  parts: { date: string; time: string; zoneCode: string },
  fields: { date: string; time: string; zone: string },
  localZone: Zone,
): X12Instant {
  const date = parseX12Date(parts.date, fields.date);
  const time = parts.time === '' ? MIDNIGHT : parseX12Time(parts.time, fields.time);
  const zone = zoneForCode(parts.zoneCode, localZone, fields.zone);
  const wall: WallTime = {
    year: date.year,
    month: date.month,
    day: date.day,
    hour: time.hour,
    minute: time.minute,
    second: time.second,
    millis: time.millis,
  };
  return { at: wallTimeToRfc3339(wall, zone), precision: parts.time === '' ? 'day' : 'time' };
}
