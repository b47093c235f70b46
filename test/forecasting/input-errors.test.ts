import { describe, expect, it } from 'vitest';
import { RejectError } from '../../core/mod.ts';
import { checkHistory } from '../../forecasting/backtest-csv.ts';
import { backtestOptionsSchema, parseOptions } from '../../forecasting/cli-options.ts';
import { dayOf } from '../../forecasting/days.ts';
import { parseExclusions } from '../../forecasting/exclusions.ts';
import { selectLanes } from '../../forecasting/series.ts';
import { parseSeriesCsv } from '../../forecasting/series-csv.ts';

/** Runs fn, expecting a RejectError; returns it for further checks. */
function rejection(fn: () => unknown): RejectError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RejectError) return err;
    throw err;
  }
  throw new Error('expected a RejectError');
}

describe('series CSV', () => {
  it('parses lanes, zero-fills missing days to the last date, and keeps regressor columns', () => {
    const csv = 'lane,date,volume,promo\nA>B,2024-01-01,3,0\nA>B,2024-01-04,5,1\nC>D,2024-01-02,1,0\n';
    const { series, regressorNames } = parseSeriesCsv(csv);
    expect(regressorNames).toEqual(['promo']);
    expect(series.map((s) => s.key)).toEqual(['A>B', 'C>D']);
    expect(Array.from(series[0]?.values ?? [])).toEqual([3, 0, 0, 5]);
    expect(Array.from(series[0]?.regressors.promo ?? [])).toEqual([0, 0, 0, 1]);
    // C>D runs from its first day to the last day of the file.
    expect(series[1]?.start).toBe(dayOf('2024-01-02'));
    expect(Array.from(series[1]?.values ?? [])).toEqual([1, 0, 0]);
  });

  it('names a missing column and the header it found', () => {
    const err = rejection(() => parseSeriesCsv('lane,date\nA>B,2024-01-01\n', 'f.csv'));
    expect(err.code).toBe('SERIES_CSV_MISSING_COLUMN');
    expect(err.message).toMatch(/f\.csv: missing column volume \(header is lane,date\)/);
    expect(err.issues[0]?.field).toBe('volume');
  });

  it('names the line, field and value of a negative volume', () => {
    const err = rejection(() => parseSeriesCsv('lane,date,volume\nA>B,2024-01-01,3\nA>B,2024-01-02,-4\n'));
    expect(err.message).toMatch(/line 3: volume: got "-4", expected a number >= 0/);
  });

  it('names the lane and the date of a duplicate day, and both lines', () => {
    const err = rejection(() => parseSeriesCsv('lane,date,volume\nA>B,2024-01-01,3\nA>B,2024-01-01,4\n'));
    expect(err.code).toBe('SERIES_DUPLICATE_DAY');
    expect(err.message).toMatch(/date: 2024-01-01 appears twice for lane A>B at line 2 and line 3/);
  });

  it('rejects impossible dates, non-numeric regressors and ragged rows, listing each', () => {
    const err = rejection(() =>
      parseSeriesCsv('lane,date,volume,promo\nA>B,2024-02-30,3,0\nA>B,2024-03-01,2,yes\nA>B,2024-03-02,1\n'),
    );
    expect(err.message).toMatch(/line 2: date: got "2024-02-30", expected a date YYYY-MM-DD/);
    expect(err.message).toMatch(/line 3: promo: got "yes", expected a finite number/);
    expect(err.message).toMatch(/line 4: got 3 fields, expected 4/);
  });

  it('rejects an empty file and a header without rows', () => {
    expect(rejection(() => parseSeriesCsv('')).code).toBe('SERIES_CSV_EMPTY');
    expect(rejection(() => parseSeriesCsv('lane,date,volume\n')).message).toMatch(/no data rows/);
  });
});

describe('backtest options', () => {
  const base = { series: 'x.csv', horizon: '14', folds: '4', innerFolds: '2' };

  it('names horizon 0 and 1000 with the allowed range', () => {
    expect(rejection(() => parseOptions(backtestOptionsSchema, { ...base, horizon: '0' })).message).toBe(
      'horizon: got 0, expected an integer 1..365',
    );
    expect(rejection(() => parseOptions(backtestOptionsSchema, { ...base, horizon: '1000' })).message).toBe(
      'horizon: got 1000, expected an integer 1..365',
    );
  });

  it('names an unknown model', () => {
    const err = rejection(() => parseOptions(backtestOptionsSchema, { ...base, models: 'mstl,prophet' }));
    expect(err.message).toMatch(
      /^models: got "mstl,prophet", expected a comma-separated list of .*"prophet" is not one/,
    );
  });

  it('fills defaults and accepts `all` models', () => {
    const o = parseOptions(backtestOptionsSchema, { ...base, models: 'all', levels: '80' });
    expect(o.models).toContain('ets');
    expect(o.levels).toEqual([80]);
    expect(o.totalLane).toBe('TOTAL');
  });

  it('rejects an unknown lane, listing known ones, with HTTP status 404', () => {
    const { series } = parseSeriesCsv('lane,date,volume\nA>B,2024-01-01,3\n');
    const err = rejection(() => selectLanes(series, ['A>B', 'Q>R']));
    expect(err.message).toBe('lane: got "Q>R", expected a lane in the series (1 lanes, e.g. A>B)');
    expect(err.httpStatus).toBe(404);
  });

  it('rejects a horizon and fold count the data cannot hold', () => {
    const { series } = parseSeriesCsv('lane,date,volume\nA>B,2024-01-01,3\nA>B,2024-03-01,3\n');
    const err = rejection(() => checkHistory(series, { horizon: 14, folds: 4, minTrainDays: 28 }));
    expect(err.message).toMatch(
      /horizon: got 14 with 4 folds, which needs at least 84 days .* the longest series has 61/,
    );
  });
});

describe('excluded weeks', () => {
  it('accepts an ISO week, a date (its whole week) and a range', () => {
    const ex = parseExclusions(['2017-W47', '2017-12-25', '2018-01-02..2018-01-03']);
    expect(ex.labels).toEqual([
      '2017-W47 (2017-11-20..2017-11-26)',
      '2017-W52 (2017-12-25..2017-12-31)',
      '2018-01-02..2018-01-03',
    ]);
    expect(ex.excluded(dayOf('2017-11-24'))).toBe(true);
    expect(ex.excluded(dayOf('2017-11-27'))).toBe(false);
    expect(ex.excluded(dayOf('2018-01-03'))).toBe(true);
    expect(ex.excluded(dayOf('2018-01-04'))).toBe(false);
  });

  it('names a bad week', () => {
    expect(rejection(() => parseExclusions(['2017-W60'])).message).toMatch(
      /^exclude-weeks: got "2017-W60", expected an ISO week YYYY-Www/,
    );
    expect(rejection(() => parseExclusions(['2018-01-05..2018-01-01'])).code).toBe('EXCLUDE_WEEKS_INVALID');
  });
});
