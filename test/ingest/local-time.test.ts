import { describe, expect, it } from 'vitest';
import {
  instantInOffset,
  isValidWallTime,
  parseZone,
  wallTimeToRfc3339,
  ZoneError,
} from '../../ingest/files/local-time.ts';
import { parseX12Date, parseX12Time, x12Instant, zoneForCode } from '../../ingest/x12/datetime.ts';

const wall = (year: number, month: number, day: number, hour: number, minute: number) => ({
  year,
  month,
  day,
  hour,
  minute,
  second: 0,
  millis: 0,
});

describe('wall-clock time → RFC 3339', () => {
  it.each([
    ['America/New_York', wall(2024, 1, 10, 10, 0), '2024-01-10T10:00:00-05:00'],
    ['America/New_York', wall(2024, 7, 1, 10, 0), '2024-07-01T10:00:00-04:00'],
    // DST gap (02:30 never happened on 10 March 2024): moved forward by the gap
    ['America/New_York', wall(2024, 3, 10, 2, 30), '2024-03-10T03:30:00-04:00'],
    // DST overlap (01:30 happened twice on 3 November 2024): the first occurrence
    ['America/New_York', wall(2024, 11, 3, 1, 30), '2024-11-03T01:30:00-04:00'],
    ['Europe/Berlin', wall(2024, 10, 27, 2, 30), '2024-10-27T02:30:00+02:00'],
    ['-03:00', wall(2017, 10, 2, 10, 56), '2017-10-02T10:56:00-03:00'],
    ['+0530', wall(2024, 2, 29, 23, 59), '2024-02-29T23:59:00+05:30'],
  ])('%s %o', (zone, w, expected) => {
    const text = wallTimeToRfc3339(w, parseZone(zone));
    expect(text).toBe(expected);
  });

  it('an instant is rendered in a given offset without changing it', () => {
    const ms = Date.parse('2013-06-08T14:58:56.591Z');
    expect(instantInOffset(ms, 120)).toBe('2013-06-08T16:58:56.591+02:00');
    expect(Date.parse(instantInOffset(ms, -330))).toBe(ms);
  });

  it('rejects zones that are neither offsets nor IANA names', () => {
    expect(() => parseZone('Mars/Olympus')).toThrow(ZoneError);
    expect(() => parseZone('+15:00')).toThrow(/out of range/);
  });
});

describe('X12 date/time/zone codes', () => {
  const local = parseZone('-04:00');
  const at = (date: string, time: string, zoneCode: string) =>
    x12Instant({ date, time, zoneCode }, { date: 'D', time: 'T', zone: 'Z' }, local);

  it.each([
    ['20240305', '0815', 'ET', '2024-03-05T08:15:00-05:00'],
    ['20240705', '0815', 'ET', '2024-07-05T08:15:00-04:00'],
    ['20240705', '0815', 'ES', '2024-07-05T08:15:00-05:00'],
    ['20240105', '0815', 'CD', '2024-01-05T08:15:00-05:00'],
    ['20240705', '081530', 'PT', '2024-07-05T08:15:30-07:00'],
    ['20240705', '08153012', 'UT', '2024-07-05T08:15:30.120+00:00'],
    ['20240705', '0815', '03', '2024-07-05T08:15:00+03:00'],
    ['20240705', '0815', '19', '2024-07-05T08:15:00-06:00'],
    ['20240705', '0815', 'LT', '2024-07-05T08:15:00-04:00'],
    ['20240705', '0815', '', '2024-07-05T08:15:00-04:00'],
    ['030619', '1445', 'UT', '2003-06-19T14:45:00+00:00'],
    ['990619', '1445', 'UT', '1999-06-19T14:45:00+00:00'],
  ])('%s %s %s → %s', (date, time, zone, expected) => {
    expect(at(date, time, zone).at).toBe(expected);
  });

  it('a date without time is that day at 00:00, flagged as day precision', () => {
    expect(at('20240705', '', 'CT')).toEqual({ at: '2024-07-05T00:00:00-05:00', precision: 'day' });
  });

  it('unknown codes name the field and the accepted codes', () => {
    expect(() => zoneForCode('QQ', local, 'AT7-07')).toThrow(/^AT7-07: got "QQ", expected an X12 time code/);
  });
});

describe('X12 date and time parsing without regexes', () => {
  // The regex versions they replaced, kept here as the oracle.
  const oracleDate = (text: string) => {
    const m = /^(\d{2})?(\d{2})(\d{2})(\d{2})$/.exec(text);
    if (!m) return undefined;
    const yy = Number(m[2]);
    const year = m[1] !== undefined ? Number(m[1]) * 100 + yy : yy < 50 ? 2000 + yy : 1900 + yy;
    const [month, day] = [Number(m[3]), Number(m[4])];
    const valid =
      month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
    return year >= 1 && valid ? { year, month, day } : undefined;
  };
  const oracleTime = (text: string) => {
    const m = /^(\d{2})(\d{2})(?:(\d{2})(\d{1,2})?)?$/.exec(text);
    if (!m) return undefined;
    const t = {
      hour: Number(m[1]),
      minute: Number(m[2]),
      second: Number(m[3] ?? 0),
      millis: m[4] === undefined ? 0 : Number(m[4].padEnd(3, '0')),
    };
    return t.hour <= 23 && t.minute <= 59 && t.second <= 59 ? t : undefined;
  };
  const attempt = <T>(f: () => T) => {
    try {
      return f();
    } catch (err) {
      return (err as Error).message;
    }
  };
  const inputs = (() => {
    const out = [
      '',
      '2024',
      '20240230',
      '20240229',
      '20230229',
      '19000229',
      '20000229',
      '00010101',
      '00000101',
    ];
    out.push(
      '240229',
      '490101',
      '500101',
      '991231',
      '2024-1-1',
      '２０２４０１０１',
      '20240101 ',
      ' 0815',
      '08:15',
    );
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const alphabet = '0123456789012345678901234567890123456789xA-+ .٣';
    for (let i = 0; i < 20_000; i++) {
      const len = [4, 6, 7, 8, 9, 3, 5][rnd(7)] as number;
      out.push(Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join(''));
    }
    for (let y = 1; y <= 9999; y += 37)
      for (let m = 0; m <= 13; m++)
        for (const d of [0, 28, 29, 30, 31, 32])
          out.push(`${String(y).padStart(4, '0')}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`);
    return out;
  })();

  it('parseX12Date accepts and rejects exactly what the regex version did', () => {
    for (const text of inputs) {
      const expected =
        oracleDate(text) ?? `F: got ${JSON.stringify(text)}, expected a calendar date CCYYMMDD (or YYMMDD)`;
      expect(
        attempt(() => parseX12Date(text, 'F')),
        text,
      ).toEqual(expected);
    }
  });

  it('parseX12Time accepts and rejects exactly what the regex version did', () => {
    for (const text of inputs) {
      const expected =
        oracleTime(text) ??
        `F: got ${JSON.stringify(text)}, expected a time HHMM, HHMMSS or HHMMSSD[D] (24-hour clock)`;
      expect(
        attempt(() => parseX12Time(text, 'F')),
        text,
      ).toEqual(expected);
    }
  });

  it('isValidWallTime knows month lengths as Date.UTC does, for every year', () => {
    for (let year = 1; year <= 9999; year++) {
      for (const month of [1, 2, 4, 12]) {
        const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
        const at = (day: number) =>
          isValidWallTime({ year, month, day, hour: 0, minute: 0, second: 0, millis: 0 });
        expect([at(last), at(last + 1)], `${year}-${month}`).toEqual([true, false]);
      }
    }
  });
});
