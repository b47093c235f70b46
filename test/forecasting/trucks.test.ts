import { describe, expect, it } from 'vitest';
import { ConfigError, parseCapacity } from '../../core/mod.ts';
import { chartLines, niceTop, type ShownForecast, showCsv, tableLines } from '../../forecasting/show-text.ts';
import { laneCapacity } from '../../forecasting/truck-capacity.ts';
import {
  type BandPoint,
  quantileAt,
  serviceLevelRange,
  truckPlan,
  trucksFor,
} from '../../forecasting/trucks.ts';

/**
 * From orders to trucks, pure: quantiles read off the stored bands, trucks = ⌈quantile × units per
 * shipment / capacity⌉, which capacity applies, the capacity file, and `forecast show`'s text.
 */

const point = (date: string, mean: number, b80: [number, number], b95: [number, number]): BandPoint => ({
  date,
  mean,
  intervals: [
    { level: 80, lower: b80[0], upper: b80[1] },
    { level: 95, lower: b95[0], upper: b95[1] },
  ],
});

describe('quantiles from the stored bands', () => {
  const p = point('2024-04-08', 20, [14, 27], [10, 32]);

  it('reads the band edges as quantiles: 80 % → 0.10 / 0.90, 95 % → 0.025 / 0.975, the forecast as median', () => {
    expect(quantileAt(p, 0.5)).toBe(20);
    expect(quantileAt(p, 0.9)).toBe(27);
    expect(quantileAt(p, 0.975)).toBe(32);
    const between = quantileAt(p, 0.95);
    expect(between).toBeGreaterThan(27);
    expect(between).toBeLessThan(32);
  });

  it('matches the normal quantile between the knots when the bands are normal (normal-score scale)', () => {
    // mean 100, σ 10: z(0.90) = 1.2815516, z(0.975) = 1.9599640, z(0.95) = 1.6448536, z(0.70) = 0.5244005.
    // Within 0.001 σ: simple-statistics' probit is an approximation (≈ 5e-4 off at 0.9).
    const normal = point(
      '2024-04-08',
      100,
      [100 - 12.815516, 100 + 12.815516],
      [100 - 19.59964, 100 + 19.59964],
    );
    expect(Math.abs(quantileAt(normal, 0.95) - (100 + 16.448536))).toBeLessThan(0.01);
    expect(Math.abs(quantileAt(normal, 0.7) - (100 + 5.244005))).toBeLessThan(0.01);
    // A straight line in probability would be 1.2 σ off at 0.7 (100 + 12.8 × 0.2 / 0.4 = 106.4).
    expect(Math.abs(quantileAt(normal, 0.7) - 106.407758)).toBeGreaterThan(1);
  });

  it('never lets a higher level give a lower volume when an ensemble’s bands cross', () => {
    const crossed = point('2024-04-08', 20, [14, 30], [10, 28]);
    expect(quantileAt(crossed, 0.975)).toBe(30);
  });

  it('allows service levels from 0.5 to the widest band’s upper quantile, and refuses beyond', () => {
    expect(serviceLevelRange([80, 95])).toEqual({ min: 0.5, max: 0.975 });
    expect(serviceLevelRange([80])).toEqual({ min: 0.5, max: 0.9 });
    const only80: BandPoint = {
      date: '2024-04-08',
      mean: 20,
      intervals: [{ level: 80, lower: 14, upper: 27 }],
    };
    expect(() => quantileAt(only80, 0.95)).toThrow(/outside the stored bands/);
  });
});

describe('trucks on a lane with known capacity and demand', () => {
  it('counts whole trucks, none for no load, without rounding noise adding one', () => {
    expect(trucksFor(0, 10)).toBe(0);
    expect(trucksFor(40, 10)).toBe(4);
    expect(trucksFor(40.5, 10)).toBe(5);
    expect(trucksFor(0.1 * 3, 0.1)).toBe(3); // 0.30000000000000004 / 0.1
    expect(() => trucksFor(5, 0)).toThrow(/capacity: got 0/);
  });

  it('books for the quantile at the service level, not the mean', () => {
    const days = [point('2024-04-08', 20, [14, 27], [10, 32]), point('2024-04-09', 0, [0, 0], [0, 0])];
    // 2 units per shipment, 10 units per truck.
    const at = (serviceLevel: number) =>
      truckPlan(days, { serviceLevel, capacity: 10, unitsPerShipment: 2 }).map((d) => d.trucks);
    expect(at(0.5)).toEqual([4, 0]); // 20 × 2 / 10 = 4 exactly
    expect(at(0.9)).toEqual([6, 0]); // 27 × 2 / 10 = 5.4
    expect(at(0.975)).toEqual([7, 0]); // 32 × 2 / 10 = 6.4
    const plan = truckPlan(days, { serviceLevel: 0.9, capacity: 10, unitsPerShipment: 2 });
    expect(plan[0]).toEqual({ date: '2024-04-08', mean: 20, quantile: 27, units: 54, trucks: 6 });
  });

  it('gives the volumes and no trucks when the capacity is unknown', () => {
    const plan = truckPlan([point('2024-04-08', 20, [14, 27], [10, 32])], {
      serviceLevel: 0.9,
      capacity: undefined,
      unitsPerShipment: 1.5,
    });
    expect(plan).toEqual([{ date: '2024-04-08', mean: 20, quantile: 27, units: 40.5, trucks: null }]);
  });
});

describe('which capacity a lane has', () => {
  const declared = [
    { lane: 'A>B', capacity: 26 },
    { lane: 'A>B', carrier: 'C1', capacity: 33 },
    { lane: 'X>Y', carrier: 'C2', capacity: 12 },
  ];
  const learned = [
    { lane: 'A>B', carrier: 'C1', capacity: 20 },
    { lane: 'A>B', carrier: 'C3', capacity: 18 },
    { lane: 'X>Y', carrier: 'C2', capacity: 40 },
    { lane: 'X>Y', carrier: 'C4', capacity: 15 },
  ];

  it('prefers the declared capacity of the carrier, then its learned one, then the lane’s any-carrier entry', () => {
    expect(laneCapacity('A>B', 'C1', declared, learned)).toEqual({
      capacity: 33,
      carrier: 'C1',
      source: 'config',
    });
    expect(laneCapacity('A>B', 'C3', declared, learned)).toEqual({
      capacity: 18,
      carrier: 'C3',
      source: 'tenders',
    });
    expect(laneCapacity('A>B', 'C9', declared, learned)).toEqual({
      capacity: 26,
      carrier: null,
      source: 'config',
    });
    expect(laneCapacity('X>Y', 'C9', declared, learned)).toBeUndefined();
  });

  it('without a carrier: the lane’s any-carrier entry, else the smallest carrier capacity', () => {
    expect(laneCapacity('A>B', undefined, declared, learned)).toEqual({
      capacity: 26,
      carrier: null,
      source: 'config',
    });
    // X>Y: C2 declared 12 (beats its learned 40), C4 learned 15 → 12.
    expect(laneCapacity('X>Y', undefined, declared, learned)).toEqual({
      capacity: 12,
      carrier: 'C2',
      source: 'config',
    });
    expect(laneCapacity('Q>R', undefined, declared, learned)).toBeUndefined();
  });
});

describe('DOCKSIDE_CAPACITY_FILE', () => {
  it('reads trucks per lane and carrier', () => {
    const c = parseCapacity(
      'trucks:\n  - { lane: "SP>RJ", capacity: 26 }\n  - { lane: "SP>RJ", carrier: C1, capacity: 33.5 }\n',
      '/etc/cap.yaml',
    );
    expect(c).toEqual({
      file: '/etc/cap.yaml',
      trucks: [
        { lane: 'SP>RJ', capacity: 26 },
        { lane: 'SP>RJ', carrier: 'C1', capacity: 33.5 },
      ],
    });
    expect(parseCapacity('', '/etc/empty.yaml').trucks).toEqual([]);
  });

  it('names the file, the field, the value and what was expected', () => {
    const error = (text: string) => {
      try {
        parseCapacity(text, '/etc/cap.yaml');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).key).toBe('DOCKSIDE_CAPACITY_FILE');
        return (err as Error).message;
      }
      throw new Error('no error');
    };
    expect(error('trucks:\n  - { lane: A, capacity: 10 }\n  - { lane: B, capacity: 0 }\n')).toBe(
      'DOCKSIDE_CAPACITY_FILE=/etc/cap.yaml: trucks.1.capacity: got 0, expected number > 0',
    );
    expect(error('trucks:\n  - { lane: A, capacty: 10 }\n')).toMatch(
      /^DOCKSIDE_CAPACITY_FILE=\/etc\/cap\.yaml: trucks\.0.*capacity/,
    );
    expect(
      error(
        'trucks:\n  - { lane: A, carrier: C, capacity: 10 }\n  - { lane: A, carrier: C, capacity: 12 }\n',
      ),
    ).toBe(
      'DOCKSIDE_CAPACITY_FILE=/etc/cap.yaml: trucks.1: got lane "A" carrier "C" again, expected one entry per lane and carrier (first at trucks.0)',
    );
    expect(error('trucks: [')).toMatch(/not valid YAML or JSON/);
  });
});

describe('forecast show: chart, table, CSV', () => {
  const f: ShownForecast = {
    lane: 'SP>RJ',
    warehouse: '',
    measure: 'committed',
    runId: 'r1',
    createdAt: '2024-04-08T06:00:00.000Z',
    model: 'ensemble',
    horizon: 14,
    points: [point('2024-04-08', 20, [15, 25], [10, 30]), point('2024-04-09', 30, [25, 35], [20, 40])],
  };

  it('scales to a round top and draws each day: * forecast, = 80 % band, - 95 % band', () => {
    expect(niceTop(40)).toBe(50);
    expect(niceTop(7)).toBe(10);
    expect(niceTop(0)).toBe(1);
    const lines = chartLines(f);
    const pad = ' '.repeat(16);
    // 49 cells for 0..50: cell = round(v / 50 × 48); ticks at 0, 12, 24, 36, 48.
    const sp = ' '.repeat(9);
    expect(lines[0]).toBe(`${pad}0${sp}12.5${sp}25${sp}37.5${sp}50`);
    expect(lines[1]).toBe(`${pad}${`+${'-'.repeat(11)}`.repeat(4)}+`);
    // day 1: 95 % 10..30 → cells 10..29, 80 % 15..25 → 14..24, forecast 20 → 19.
    expect(lines[2]).toBe(`2024-04-08 Mon  ${' '.repeat(10)}----=====*=====-----`);
    // day 2: 95 % 20..40 → 19..38, 80 % 25..35 → 24..34, forecast 30 → 29.
    expect(lines[3]).toBe(`2024-04-09 Tue  ${' '.repeat(19)}-----=====*=====----`);
    expect(lines[4]).toBe(`${pad}* forecast   = 80 % band   - 95 % band`);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('tabulates the forecast and the bounds, widest lower first', () => {
    const lines = tableLines(f);
    expect(lines[0]?.split(/\s+/)).toEqual([
      'date',
      'day',
      'forecast',
      'lower_95',
      'lower_80',
      'upper_80',
      'upper_95',
    ]);
    expect(lines[1]?.split(/\s+/)).toEqual(['2024-04-08', 'Mon', '20.0', '10.0', '15.0', '25.0', '30.0']);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('writes CSV with the columns of GET /api/forecasts?format=csv', () => {
    expect(showCsv([f]).split('\n')).toEqual([
      'lane,warehouse,date,mean,lower_80,upper_80,lower_95,upper_95,model,run_id',
      'SP>RJ,,2024-04-08,20,15,25,10,30,ensemble,r1',
      'SP>RJ,,2024-04-09,30,25,35,20,40,ensemble,r1',
      '',
    ]);
  });
});
