import { describe, expect, it } from 'vitest';
import { dayOf, formatDay, isoWeekLabel, isoWeekMonday, parseDay, weekday } from '../../forecasting/days.ts';
import { blackFriday, calendarRegressors, easterSunday, holidaysOf } from '../../forecasting/holidays.ts';

describe('days', () => {
  it('round-trips dates and knows weekdays (0 = Monday)', () => {
    expect(formatDay(dayOf('2017-11-24'))).toBe('2017-11-24');
    expect(weekday(dayOf('2017-11-24'))).toBe(4);
    expect(weekday(dayOf('2024-01-07'))).toBe(6);
    expect(parseDay('2023-02-29')).toBeUndefined();
    expect(parseDay('2024-02-29')).toBe(dayOf('2024-02-29'));
  });

  it('labels ISO weeks across year ends', () => {
    expect(isoWeekLabel(dayOf('2017-11-24'))).toBe('2017-W47');
    expect(isoWeekLabel(dayOf('2021-01-03'))).toBe('2020-W53');
    expect(isoWeekLabel(dayOf('2019-12-30'))).toBe('2020-W01');
    expect(isoWeekMonday(2020, 53)).toBe(dayOf('2020-12-28'));
    expect(isoWeekMonday(2021, 53)).toBeUndefined();
  });
});

describe('holiday calendars', () => {
  it('computes Easter and the Brazilian moving holidays from it', () => {
    expect(formatDay(easterSunday(2017))).toBe('2017-04-16');
    expect(formatDay(easterSunday(2024))).toBe('2024-03-31');
    const br = [...holidaysOf('BR', 2017)].map(formatDay).sort();
    expect(br).toEqual(
      expect.arrayContaining([
        '2017-02-27',
        '2017-02-28',
        '2017-04-14',
        '2017-06-15',
        '2017-11-15',
        '2017-12-25',
      ]),
    );
    expect(br).toHaveLength(12);
  });

  it('knows US federal holidays and Black Friday', () => {
    const us = [...holidaysOf('US', 2024)].map(formatDay);
    expect(us).toEqual(expect.arrayContaining(['2024-05-27', '2024-09-02', '2024-11-28', '2024-06-19']));
    expect(formatDay(blackFriday(2017))).toBe('2017-11-24');
    expect(formatDay(blackFriday(2024))).toBe('2024-11-29');
  });

  it('builds holiday and promo flags for a run of days', () => {
    const r = calendarRegressors('BR', dayOf('2017-11-14'), 12);
    expect(Array.from(r.holiday ?? [])).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(r.promo ?? []).indexOf(1)).toBe(10);
  });
});
