import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backtestSeries } from '../../forecasting/backtest-csv.ts';
import { backtestOptionsSchema, parseOptions } from '../../forecasting/cli-options.ts';
import { dayOf, formatDay } from '../../forecasting/days.ts';
import { OLIST_FILES, olistSeries, TOTAL_LANE } from '../../forecasting/olist.ts';
import { formatSeriesCsv, parseSeriesCsv } from '../../forecasting/series-csv.ts';
import { testData } from '../helpers/env.ts';

const dir = path.join(testData, 'olist');
const texts = {
  orders: readFileSync(path.join(dir, OLIST_FILES.orders), 'utf8'),
  items: readFileSync(path.join(dir, OLIST_FILES.items), 'utf8'),
  sellers: readFileSync(path.join(dir, OLIST_FILES.sellers), 'utf8'),
  customers: readFileSync(path.join(dir, OLIST_FILES.customers), 'utf8'),
};
const series = olistSeries(texts);

describe('Olist lane series', () => {
  it('has the 243 seller-state>customer-state lanes plus TOTAL, on one zero-filled 2017 calendar', () => {
    expect(series.filter((s) => s.lane !== TOTAL_LANE)).toHaveLength(243);
    for (const s of series) {
      expect(formatDay(s.start)).toBe('2017-01-05');
      expect(s.values).toHaveLength(dayOf('2017-12-31') - dayOf('2017-01-05') + 1);
    }
  });

  it('counts distinct orders: TOTAL is every order with an item, a lane its orders on that lane', () => {
    const orderIds = new Set(
      texts.items
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    );
    const total = series.find((s) => s.lane === TOTAL_LANE);
    expect(total?.values.reduce((a, b) => a + b, 0)).toBe(orderIds.size);
    const laneSum = series
      .filter((s) => s.lane !== TOTAL_LANE)
      .reduce((a, s) => a + s.values.reduce((x, y) => x + y, 0), 0);
    // An order with sellers in two states counts on two lanes, so lanes sum to at least the total.
    expect(laneSum).toBeGreaterThanOrEqual(orderIds.size);
    // Black Friday 2017 is the busiest day, and it is flagged as a promotion.
    const peak = total ? total.values.indexOf(Math.max(...total.values)) : -1;
    expect(formatDay((total?.start ?? 0) + peak)).toBe('2017-11-24');
    expect(total?.regressors.promo?.[peak]).toBe(1);
  });

  it('round-trips through the lane,date,volume CSV the backtest reads', () => {
    const csv = formatSeriesCsv(series, formatDay);
    expect(csv.split('\n')[0]).toBe('lane,date,volume,holiday,promo');
    const back = parseSeriesCsv(csv).series;
    expect(back.map((s) => s.key)).toEqual(series.map((s) => s.key));
    expect(Array.from(back[0]?.values ?? [])).toEqual(Array.from(series[0]?.values ?? []));
  });

  it('backtests with H = 14 and K = 4 (fast baselines here; the full model set runs in bench/forecast-olist.ts)', async () => {
    const opts = parseOptions(backtestOptionsSchema, {
      series: 'olist',
      horizon: '14',
      folds: '4',
      innerFolds: '2',
      models: 'seasonal-naive,moving-average,weekly-profile,croston-sba',
      threads: '0',
    });
    const { report } = await backtestSeries(series, opts);
    expect(report.data.origins).toEqual(['2017-11-06', '2017-11-20', '2017-12-04', '2017-12-18']);
    expect(report.aggregate.target.lanes).toEqual(['SP>MG', 'SP>RJ', 'SP>RS', 'SP>SP']);
    expect(report.aggregate.total?.lanes).toEqual([TOTAL_LANE]);
    expect(report.aggregate.top10[0]).toBe('SP>SP');
    const target = report.aggregate.target.metrics;
    expect(target['seasonal-naive']?.points).toBe(4 * 4 * 14);
    expect(target['moving-average']?.wape).toBeGreaterThan(0);
  });
});
